-- the certified table as published; pages never read the warehouse
select * from budget_vs_actual_monthly
