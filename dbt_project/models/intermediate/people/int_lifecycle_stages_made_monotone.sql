{#
    One row per (person, stage reached), entry times made monotone
    (docs/certified_tables.md, Lifecycle stages): a stage's own entry is the earliest over
    all the person's records and values mapping to it; its entry is the minimum of its own
    entry and the own entries of every later stage. A stage with no own entry that a later
    stage reaches is implied (`is_implied`); an own entry pulled earlier is not implied.
#}
with

own_entries as (

    select
        person_id,
        stage_order,
        min(entered_at) as own_entered_at
    from {{ ref('int_lifecycle_stage_entries_unioned') }}
    group by person_id, stage_order

),

canonical_stages as (

    {{ canonical_stage_rows() }}

),

monotone as (

    select
        own_entries.person_id,
        canonical_stages.stage,
        canonical_stages.stage_order,
        min(own_entries.own_entered_at) as entered_at
    from own_entries
    inner join canonical_stages
        on own_entries.stage_order >= canonical_stages.stage_order
    group by own_entries.person_id, canonical_stages.stage, canonical_stages.stage_order

)

select
    monotone.person_id,
    monotone.stage,
    monotone.stage_order,
    monotone.entered_at,
    own_entries.person_id is null as is_implied
from monotone
left join own_entries
    on
        own_entries.person_id = monotone.person_id
        and own_entries.stage_order = monotone.stage_order
