{#
    Every lifecycle entry of every person record, mapped to a canonical stage through the
    seed `lifecycle_stage_map` (lower(trim()) of both sides, per source system; values not in
    the map are ignored), with the record's person. The entries are the union of the staging
    models that hold `stage_entries` in the source registry (warehouse/sources.yml); with no
    such source enabled, empty.

    Incremental by source record (delete+insert on source_system, source_record_id;
    macros/incremental_macros.sql, `changed_partition_rows`): a run rewrites the entries of
    each record whose entries or person differ from the stored ones (a new status change, a
    record that joined another person) and deletes those of a record with none left.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['source_system', 'source_record_id'],
    on_schema_change='fail',
    post_hook="{{ delete_tombstones('person_id') }}",
) }}
{%- set entry_columns = ['person_id', 'source_system', 'source_record_id', 'source_value',
                         'stage', 'stage_order', 'entered_at'] %}

with

unioned as (

    {{ union_sources('stage_entries', [
        ('source_system', 'string'),
        ('source_record_id', 'string'),
        ('source_value', 'string'),
        ('entered_at', 'timestamptz'),
    ]) }}

),

stage_map as (

    select
        lower(trim(source_system)) as source_system,
        lower(trim(source_value)) as source_value,
        lower(trim(stage)) as stage
    from {{ ref('lifecycle_stage_map') }}

),

canonical_stages as (

    {{ canonical_stage_rows() }}

),

person_records as (

    select source_system, source_record_id, person_id
    from {{ ref('int_person_records') }}

),

entries as (

    select
        person_records.person_id,
        unioned.source_system,
        unioned.source_record_id,
        unioned.source_value,
        canonical_stages.stage,
        canonical_stages.stage_order,
        unioned.entered_at
    from unioned
    inner join stage_map
        on
            stage_map.source_system = unioned.source_system
            and stage_map.source_value = lower(trim(unioned.source_value))
    inner join canonical_stages
        on canonical_stages.stage = stage_map.stage
    inner join person_records
        on
            person_records.source_system = unioned.source_system
            and person_records.source_record_id = unioned.source_record_id

)

{{ changed_partition_rows('entries', ['source_system', 'source_record_id'], entry_columns) }}
