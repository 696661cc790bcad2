-- the certified table as published; pages never read the warehouse
select * from opportunity_attribution
