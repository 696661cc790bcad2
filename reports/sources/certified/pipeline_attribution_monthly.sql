-- the certified table as published; pages never read the warehouse
select * from pipeline_attribution_monthly
