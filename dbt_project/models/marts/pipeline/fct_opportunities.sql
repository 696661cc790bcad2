{#
    One row per opportunity: its creation, amount (deal currency and reporting currency), won
    flag as of the run, people, eligible touches and marketing flags. Marketing-sourced: the
    first eligible touch's channel is `is_marketing`; marketing-influenced: at least one eligible
    touch in an `is_marketing` channel (no eligible touch: neither).
#}

with

opportunities as (

    select * from {{ ref('int_opportunities_converted') }}

),

people as (

    select opportunity_id, count(*) as person_count
    from {{ ref('int_opportunity_people') }}
    group by opportunity_id

),

touches as (

    select
        eligible.opportunity_id,
        max(eligible.lead_at) as lead_at,
        count(*) as eligible_touch_count,
        max(case when eligible.touch_rank = 1 then eligible.channel end) as first_touch_channel,
        max(case when channels.is_marketing then 1 else 0 end) as has_marketing_touch
    from {{ ref('int_attribution_touches_eligible') }} as eligible
    left join {{ ref('channels') }} as channels
        on channels.channel = eligible.channel
    group by eligible.opportunity_id

)

select
    opportunities.opportunity_id,
    opportunities.opportunity_name,
    opportunities.created_at,
    opportunities.created_date,
    opportunities.created_month,
    opportunities.currency,
    opportunities.amount,
    opportunities.fx_rate,
    opportunities.amount_reporting,
    opportunities.is_closed,
    opportunities.is_won,
    case when opportunities.is_won then opportunities.amount_reporting else 0 end
        as won_amount_reporting,
    coalesce(people.person_count, 0) as person_count,
    touches.lead_at,
    coalesce(touches.eligible_touch_count, 0) as eligible_touch_count,
    coalesce(touches.first_touch_channel, 'unattributed') as first_touch_channel,
    coalesce(first_channel.is_marketing, false) as is_marketing_sourced,
    coalesce(touches.has_marketing_touch, 0) = 1 as is_marketing_influenced
from opportunities
left join people
    on people.opportunity_id = opportunities.opportunity_id
left join touches
    on touches.opportunity_id = opportunities.opportunity_id
left join {{ ref('channels') }} as first_channel
    on first_channel.channel = touches.first_touch_channel
