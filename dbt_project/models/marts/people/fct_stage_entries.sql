{# One row per (person, stage reached): the monotone entry into each canonical stage. #}
select
    person_id,
    stage,
    stage_order,
    entered_at,
    {{ to_reporting_date('entered_at') }} as entered_date,
    is_implied
from {{ ref('int_lifecycle_stages_made_monotone') }}
