{#
    One row per (person, stage reached): the monotone entry into each canonical stage.
    Incremental by person (macros/incremental_macros.sql): int_lifecycle_stages_made_monotone
    rewrites every row of each person with a new, changed or gone entry (a later stage
    reached, an earlier entry pulling a stage back, the stage entries of a merged contact
    joining the survivor's) and stamps them (`made_monotone_at`); a run takes the rows stamped
    since this model's newest stamp, with the persons whose stored entry date differs from
    the one the reporting time zone now gives (`stored_value_differs`), and deletes the
    persons that are gone (a contact merged away is no longer a person of its own).
#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='person_id',
    on_schema_change='fail',
    post_hook="{{ delete_vanished_partitions(['person_id'], [(ref('int_lifecycle_stages_made_monotone'), ['person_id'])]) }}",
) }}

with

stage_entries as (

    select
        person_id,
        stage,
        stage_order,
        entered_at,
        {{ to_reporting_date('entered_at') }} as entered_date,
        is_implied,
        made_monotone_at
    from {{ ref('int_lifecycle_stages_made_monotone') }}
    {%- if is_incremental() %}
    {{- require_stored_column('made_monotone_at') }}
    where
        {{ stamped_since('made_monotone_at') }}
        or {{ stored_value_differs('person_id', 'entered_date', to_reporting_date('entered_at')) }}
    {%- endif %}

)

select * from stage_entries
