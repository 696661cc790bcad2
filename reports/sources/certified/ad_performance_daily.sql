-- the certified table as published; pages never read the warehouse
select * from ad_performance_daily
