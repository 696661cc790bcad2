{#
    Marketing-sourced and marketing-influenced pipeline per month of creation and marketing
    channel. Sourced: the opportunity's first eligible touch is in the channel. Influenced: the
    opportunity has an eligible touch in the channel; it counts once per influencing channel.
#}

with

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

marketing_channels as (

    select channel from {{ ref('channels') }} where is_marketing

),

sourced as (

    select opportunity_id, first_touch_channel as channel
    from opportunities
    where is_marketing_sourced

),

influenced as (

    select distinct eligible.opportunity_id, eligible.channel
    from {{ ref('fct_opportunity_touches') }} as eligible
    inner join marketing_channels
        on marketing_channels.channel = eligible.channel

),

opportunity_channels as (

    select opportunity_id, channel from sourced
    union
    select opportunity_id, channel from influenced

),

flagged as (

    select
        opportunity_channels.channel,
        opportunities.created_month,
        opportunities.amount_reporting,
        opportunities.won_amount_reporting,
        case when sourced.opportunity_id is not null then 1 else 0 end as is_sourced,
        case when influenced.opportunity_id is not null then 1 else 0 end as is_influenced
    from opportunity_channels
    inner join opportunities
        on opportunities.opportunity_id = opportunity_channels.opportunity_id
    left join sourced
        on sourced.opportunity_id = opportunity_channels.opportunity_id
        and sourced.channel = opportunity_channels.channel
    left join influenced
        on influenced.opportunity_id = opportunity_channels.opportunity_id
        and influenced.channel = opportunity_channels.channel

)

select
    created_month as month,
    cast(channel as varchar) as channel,
    cast(sum(is_sourced) as bigint) as sourced_opportunities,
    cast(sum(is_sourced * amount_reporting) as double precision) as sourced_pipeline,
    cast(sum(is_sourced * won_amount_reporting) as double precision) as sourced_won_revenue,
    cast(sum(is_influenced) as bigint) as influenced_opportunities,
    cast(sum(is_influenced * amount_reporting) as double precision) as influenced_pipeline,
    cast(sum(is_influenced * won_amount_reporting) as double precision) as influenced_won_revenue
from flagged
group by created_month, channel
