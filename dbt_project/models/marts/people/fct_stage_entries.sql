{#
    One row per (person, stage reached): the monotone entry into each canonical stage.
    Incremental by person (macros/incremental_macros.sql): the monotone rule reads all of a
    person's entries, so a run rewrites every row of each person with a new, changed or gone
    entry (a later stage reached, an earlier entry pulling a stage back, the stage entries of a
    merged contact joining the survivor's), and deletes the persons that are gone (a contact
    merged away is no longer a person of its own).
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
        is_implied
    from {{ ref('int_lifecycle_stages_made_monotone') }}

)

select * from stage_entries
{{ changed_partitions('stage_entries', ['person_id']) }}
