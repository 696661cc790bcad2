{#
    Opportunity velocity per month of creation and sourced channel (the first-touch channel,
    `unattributed` without an eligible touch), plus one month-total row per month with
    `channel = 'all'` and `is_month_total = true`. The total is its own row because medians and
    averages do not add up over channels; BI filters `is_month_total` to read either the
    channels or the total, and never sums the two. A row exists for every month and channel
    with an opportunity created in it. Counts are as of the run. An opportunity that closed
    before it was created (`closes_before_creation`, listed in the quarantine) is left out of
    every column. Ratios are null when their denominator is 0 or a factor is null.
#}

with

opportunities as (

    select
        created_month,
        first_touch_channel,
        case when is_closed then 1 else 0 end as closed,
        case when is_won then 1 else 0 end as won,
        case when is_lost then 1 else 0 end as lost,
        won_amount_reporting,
        case when is_won then days_to_close end as days_to_close_won
    from {{ ref('fct_opportunities') }}
    where not closes_before_creation

),

grouped as (

    select
        created_month as month,
        first_touch_channel as channel,
        false as is_month_total,
        count(*) as opportunities,
        sum(closed) as closed_opportunities,
        sum(won) as won_opportunities,
        sum(lost) as lost_opportunities,
        sum(won_amount_reporting) as won_revenue,
        {{ median('days_to_close_won') }} as median_days_to_close_won,
        avg(days_to_close_won) as avg_days_to_close_won
    from opportunities
    group by created_month, first_touch_channel

    union all

    select
        created_month as month,
        'all' as channel,
        true as is_month_total,
        count(*) as opportunities,
        sum(closed) as closed_opportunities,
        sum(won) as won_opportunities,
        sum(lost) as lost_opportunities,
        sum(won_amount_reporting) as won_revenue,
        {{ median('days_to_close_won') }} as median_days_to_close_won,
        avg(days_to_close_won) as avg_days_to_close_won
    from opportunities
    group by created_month

),

ratios as (

    select
        *,
        case when closed_opportunities = 0 then null
            else cast(won_opportunities as double precision) / closed_opportunities end as win_rate,
        case when won_opportunities = 0 then null
            else won_revenue / won_opportunities end as avg_won_amount
    from grouped

)

select
    month,
    cast(channel as {{ dbt.type_string() }}) as channel,
    is_month_total,
    cast(opportunities as bigint) as opportunities,
    cast(closed_opportunities as bigint) as closed_opportunities,
    cast(won_opportunities as bigint) as won_opportunities,
    cast(lost_opportunities as bigint) as lost_opportunities,
    cast(won_revenue as double precision) as won_revenue,
    cast(win_rate as double precision) as win_rate,
    cast(avg_won_amount as double precision) as avg_won_amount,
    cast(median_days_to_close_won as double precision) as median_days_to_close_won,
    cast(avg_days_to_close_won as double precision) as avg_days_to_close_won,
    cast(
        case
            when avg_days_to_close_won is null or avg_days_to_close_won = 0 then null
            else opportunities * win_rate * avg_won_amount / avg_days_to_close_won
        end as double precision
    ) as pipeline_velocity
from ratios
