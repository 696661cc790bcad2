{#
    Rows for every (month, channel) of the budget seed and every (month, channel) with spend;
    several budget rows of one month and channel add up.
#}

with

budget as (

    select
        {{ month_start('cast(month as date)') }} as month,
        trim(channel) as channel,
        sum(cast(planned_spend as double precision)) as planned_spend
    from {{ ref('marketing_budget') }}
    group by 1, 2

),

actual as (

    select
        {{ month_start('spend_date') }} as month,
        channel,
        sum(spend) as actual_spend
    from {{ ref('fct_spend_daily') }}
    group by 1, 2

),

months_channels as (

    select month, channel from budget
    union
    select month, channel from actual

),

joined as (

    select
        months_channels.month,
        months_channels.channel,
        coalesce(budget.planned_spend, 0) as planned_spend,
        coalesce(actual.actual_spend, 0) as actual_spend
    from months_channels
    left join budget
        on budget.month = months_channels.month and budget.channel = months_channels.channel
    left join actual
        on actual.month = months_channels.month and actual.channel = months_channels.channel

)

select
    month,
    cast(channel as varchar) as channel,
    cast(planned_spend as double precision) as planned_spend,
    cast(actual_spend as double precision) as actual_spend,
    cast(
        case when planned_spend = 0 then null else actual_spend / planned_spend end
        as double precision
    ) as pacing,
    cast(actual_spend - planned_spend as double precision) as variance
from joined
