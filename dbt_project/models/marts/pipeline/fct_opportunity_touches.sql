{#
    One row per opportunity and eligible touch (METRICS.md, Attribution): the touches of its
    people inside the lookback window, each counted once, with its channel and campaign, its
    order among the opportunity's eligible touches and its age in days at the opportunity's
    creation. What marketing-influenced pipeline counts, as a mart certified tables can read.
#}

select
    opportunity_id,
    touchpoint_id,
    touched_at,
    channel,
    campaign_key,
    touch_rank,
    touch_count,
    age_days
from {{ ref('int_attribution_touches_eligible') }}
