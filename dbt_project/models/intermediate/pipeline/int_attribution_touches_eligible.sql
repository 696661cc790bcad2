{#
    The eligible touches of each opportunity: touchpoints of its people with
    `created_at - attribution_lookback_days <= touched_at <= created_at` (both ends inclusive,
    exact days), ordered by `touched_at` then touchpoint id; a touch shared by two of its people
    counts once. Adds what the attribution models need: the touch's rank and count, its age in
    exact days, and the w_shaped lead-creation touch: the last eligible touch at or before the
    earliest lead date among the opportunity's people (the first touch when there is none).
    Reads intermediate models only (the same touches and lead entries the people marts show).
#}

with

opportunities as (

    select opportunity_id, created_at
    from {{ ref('int_opportunities_converted') }}

),

opportunity_people as (

    select * from {{ ref('int_opportunity_people') }}

),

opportunity_leads as (

    select
        opportunity_people.opportunity_id,
        min(lead_entries.entered_at) as lead_at
    from opportunity_people
    inner join {{ ref('int_lifecycle_stages_made_monotone') }} as lead_entries
        on
            lead_entries.person_id = opportunity_people.person_id
            and lead_entries.stage = 'lead'
    group by opportunity_people.opportunity_id

),

eligible as (

    select distinct
        opportunities.opportunity_id,
        opportunities.created_at,
        touchpoints.touchpoint_id,
        touchpoints.touched_at,
        touchpoints.channel,
        coalesce(touchpoints.campaign_key, '(none)') as campaign_key
    from opportunities
    inner join opportunity_people
        on opportunity_people.opportunity_id = opportunities.opportunity_id
    inner join {{ ref('int_touchpoints_channeled') }} as touchpoints
        on touchpoints.person_id = opportunity_people.person_id
    where
        touchpoints.touched_at >= {{ add_days('opportunities.created_at', '-1 * ' ~ var('attribution_lookback_days')) }}
        and touchpoints.touched_at <= opportunities.created_at

),

ranked as (

    select
        eligible.*,
        opportunity_leads.lead_at,
        row_number() over (
            partition by eligible.opportunity_id
            order by eligible.touched_at, eligible.touchpoint_id
        ) as touch_rank,
        count(*) over (partition by eligible.opportunity_id) as touch_count,
        {{ days_between('eligible.touched_at', 'eligible.created_at') }} as age_days
    from eligible
    left join opportunity_leads
        on opportunity_leads.opportunity_id = eligible.opportunity_id

),

with_lead_touch as (

    select
        ranked.*,
        coalesce(
            max(case when touched_at <= lead_at then touch_rank end)
                over (partition by opportunity_id),
            1
        ) as lead_touch_rank
    from ranked

)

select
    opportunity_id,
    touchpoint_id,
    created_at,
    touched_at,
    channel,
    campaign_key,
    lead_at,
    cast(touch_rank as bigint) as touch_rank,
    cast(touch_count as bigint) as touch_count,
    cast(lead_touch_rank as bigint) as lead_touch_rank,
    cast(age_days as double precision) as age_days
from with_lead_touch
