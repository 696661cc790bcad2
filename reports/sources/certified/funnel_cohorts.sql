-- the certified table as published; pages never read the warehouse
select * from funnel_cohorts
