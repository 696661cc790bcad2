{#
    One row per opportunity: its creation, amount (deal currency and reporting currency), won,
    closed and lost flags and close as of the run, people, eligible touches and marketing flags.
    Marketing-sourced: the first eligible touch's channel is `is_marketing`;
    marketing-influenced: at least one eligible touch in an `is_marketing` channel (no eligible
    touch: neither). The earliest-lead person is the person of the opportunity with the
    earliest lead date (the one w_shaped uses), ties broken by the lowest person_id (METRICS.md
    does not say; any fixed rule would do, this one is reproducible): `lead_at` is their lead
    date and `lead_channel` their original channel, the cohort a booking belongs to (null when
    no person of the opportunity has a lead date).
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

lead_people as (

    select
        opportunity_people.opportunity_id,
        people.person_id,
        people.lead_at,
        people.original_channel,
        row_number() over (
            partition by opportunity_people.opportunity_id
            order by people.lead_at, people.person_id
        ) as lead_rank
    from {{ ref('int_opportunity_people') }} as opportunity_people
    inner join {{ ref('dim_people') }} as people
        on people.person_id = opportunity_people.person_id
    where people.lead_at is not null

),

touches as (

    select
        eligible.opportunity_id,
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
    opportunities.is_lost,
    case when opportunities.is_won then opportunities.amount_reporting else 0 end
        as won_amount_reporting,
    opportunities.closed_at,
    opportunities.days_to_close,
    opportunities.closes_before_creation,
    coalesce(people.person_count, 0) as person_count,
    lead_people.person_id as lead_person_id,
    lead_people.lead_at,
    lead_people.original_channel as lead_channel,
    coalesce(touches.eligible_touch_count, 0) as eligible_touch_count,
    coalesce(touches.first_touch_channel, 'unattributed') as first_touch_channel,
    coalesce(first_channel.is_marketing, false) as is_marketing_sourced,
    coalesce(touches.has_marketing_touch, 0) = 1 as is_marketing_influenced
from opportunities
left join people
    on people.opportunity_id = opportunities.opportunity_id
left join lead_people
    on
        lead_people.opportunity_id = opportunities.opportunity_id
        and lead_people.lead_rank = 1
left join touches
    on touches.opportunity_id = opportunities.opportunity_id
left join {{ ref('channels') }} as first_channel
    on first_channel.channel = touches.first_touch_channel
