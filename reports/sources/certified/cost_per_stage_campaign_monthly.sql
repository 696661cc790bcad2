-- the certified table as published; pages never read the warehouse
select * from cost_per_stage_campaign_monthly
