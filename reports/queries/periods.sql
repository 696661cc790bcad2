-- The periods every page reads the same way. `data_through` is the last day the published
-- tables hold (a stage entry or a spend day); a month is complete when the data runs past its
-- last day, and the month holding `data_through` is otherwise partial. Pages default to the
-- last complete month and mark the partial one.
with through as (
    select greatest(
        (select max(date) from certified.funnel_daily),
        (select max(date) from certified.spend_daily)
    ) as data_through
),
bounds as (
    -- the first month the data has not run past the end of
    select data_through, date_trunc('month', data_through + interval 1 day) as open_month
    from through
)
select
    data_through,
    strftime(data_through, '%b %-d, %Y') as data_through_label,
    cast(open_month as date) as first_open_month,
    cast(open_month - interval 1 month as date) as last_complete_month,
    strftime(open_month - interval 1 month, '%Y-%m-%d') as last_complete_start,
    strftime(open_month - interval 1 day, '%Y-%m-%d') as last_complete_end
from bounds
