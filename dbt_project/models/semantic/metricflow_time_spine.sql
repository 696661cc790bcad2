{#
    MetricFlow's time spine: one row per day from 2023-01-01 to 2027-12-31 (the sandbox worlds'
    range and the budget's future months). Portable SQL: the day numbers come from cross-joined
    digits and dbt's cross-database dateadd, so the model builds on DuckDB and Postgres alike.
#}
{{ config(materialized='table', schema='semantic') }}

with digits as (
    select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
),

day_numbers as (
    select ones.d + 10 * tens.d + 100 * hundreds.d + 1000 * thousands.d as n
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
),

days as (
    select cast({{ dbt.dateadd('day', 'n', "cast('2023-01-01' as date)") }} as date) as date_day
    from day_numbers
)

select date_day
from days
where date_day <= cast('2027-12-31' as date)
