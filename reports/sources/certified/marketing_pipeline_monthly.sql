-- the certified table as published; pages never read the warehouse
select * from marketing_pipeline_monthly
