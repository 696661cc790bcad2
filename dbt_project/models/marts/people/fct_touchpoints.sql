{# One row per touchpoint: a marketing interaction of one person, with channel and campaign. #}
select
    touchpoint_id,
    person_id,
    touched_at,
    {{ to_reporting_date('touched_at') }} as touched_date,
    channel,
    campaign_key,
    source_system,
    touch_type
from {{ ref('int_touchpoints_channeled') }}
