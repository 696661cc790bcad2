{#
    One row per (person, stage reached), entry times made monotone
    (docs/certified_tables.md, Lifecycle stages): a stage's own entry is the earliest over
    all the person's records and values mapping to it; its entry is the minimum of its own
    entry and the own entries of every later stage. A stage with no own entry that a later
    stage reaches is implied (`is_implied`); an own entry pulled earlier is not implied.

    Incremental by person: a person's rows are a function of their own entries alone, which
    each row keeps (`own_entered_at`, null when implied). A run compares the own entries with
    the stored ones and makes monotone again only the persons whose own entries are new,
    changed or gone; a person with none left becomes a tombstone (stage null), deleted by the
    post-hook in the same run. The rows written are stamped with the run's start
    (`made_monotone_at`), which is how fct_stage_entries finds them.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='person_id',
    on_schema_change='fail',
    post_hook="{{ delete_tombstones('stage') }}",
) }}

{%- set columns = ['person_id', 'stage', 'stage_order', 'entered_at', 'is_implied', 'own_entered_at',
                   'made_monotone_at'] %}

with

own_entries as (

    select
        person_id,
        stage_order,
        min(entered_at) as own_entered_at
    from {{ ref('int_lifecycle_stage_entries_unioned') }}
    group by person_id, stage_order

),

{%- if is_incremental() %}
{{- require_stored_column('own_entered_at') }}

stored_own_entries as (

    select person_id, stage_order, own_entered_at
    from {{ this }}
    where own_entered_at is not null

),

changed_persons as (

    {{ changed_partition_keys('own_entries', ['person_id'], 'stored_own_entries') | indent(4) }}

),

entries_to_order as (

    select * from own_entries
    where person_id in (select person_id from changed_persons)

),

{%- else %}

entries_to_order as (

    select * from own_entries

),

{%- endif %}

canonical_stages as (

    {{ canonical_stage_rows() }}

),

monotone as (

    select
        entries_to_order.person_id,
        canonical_stages.stage,
        canonical_stages.stage_order,
        min(entries_to_order.own_entered_at) as entered_at
    from entries_to_order
    inner join canonical_stages
        on entries_to_order.stage_order >= canonical_stages.stage_order
    group by entries_to_order.person_id, canonical_stages.stage, canonical_stages.stage_order

)

select
    monotone.person_id,
    monotone.stage,
    monotone.stage_order,
    monotone.entered_at,
    entries_to_order.person_id is null as is_implied,
    entries_to_order.own_entered_at,
    {{ run_started_timestamp() }} as made_monotone_at
from monotone
left join entries_to_order
    on
        entries_to_order.person_id = monotone.person_id
        and entries_to_order.stage_order = monotone.stage_order
{%- if is_incremental() %}
union all
-- a person with no own entry left: a tombstone over their stored rows
{{ gone_tombstones(columns, ['person_id'], 'changed_persons', 'own_entries') }}
{%- endif %}
