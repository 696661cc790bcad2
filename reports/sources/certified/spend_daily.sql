-- the certified table as published; pages never read the warehouse
select * from spend_daily
