{#
    One row per person. Original channel and campaign: those of the first touchpoint
    (earliest, ties by touchpoint id); a person without touchpoints takes the channel that
    `channel_rules` gives for the own original-source value (its `original_source_field`) of
    its earliest surviving record that has one, else `unknown`, and campaign `(none)`
    (docs/certified_tables.md, Touchpoints, channels, campaigns). Without an enabled source of
    touchpoints every person takes that fallback.

    Incremental by person (delete+insert on person_id): the columns read from the person's
    records and lead entry are cheap and computed for every person on each run; the first
    touch is the costly part (an aggregate over every touch), so a run computes it only for the
    persons whose row may change:
    * whose record columns (has_email, created_at), lead date or, with no touch, CRM-source
      channel differ from the stored row, and the persons new or gone;
    * the current persons of the touches int_touchpoints_channeled wrote since this model's
      last run (`channeled_at` after the newest `built_at` here): new and changed touches,
      and a touch that moved to another person (a merge, a new email);
    * the persons whose number of touches differs from the stored `touch_count`: a touch gone,
      or moved away to another person (the moved touch's stamp names only its new person).
    A person whose touches changed in any other way holds a touch written since the last run,
    so these cover every change. The rows written are stamped with the run's start
    (`built_at`); a person gone becomes a tombstone (has_email null), deleted by the post-hook
    in the same run. A change of the channel rules re-channels every touch, so every person
    with a touch is described again.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='person_id',
    on_schema_change='fail',
    post_hook="{{ delete_tombstones('has_email') }}",
) }}
{%- set columns = ['person_id', 'has_email', 'created_at', 'lead_at', 'original_channel',
                   'original_campaign_key', 'first_touchpoint_id', 'touch_count', 'built_at'] %}

with

person_records as (

    select * from {{ ref('int_person_records') }}

),

people as (

    select
        person_id,
        max(case when has_email then 1 else 0 end) = 1 as has_email,
        min(record_created_at) as created_at
    from person_records
    group by person_id

),

lead_entries as (

    select person_id, entered_at as lead_at
    from {{ ref('int_lifecycle_stages_made_monotone') }}
    where stage = 'lead'

),

-- a merged-away record's own original source is ignored: the survivor's counts
crm_sources as (

    select person_id, original_source_field, original_source
    from (
        select
            person_id,
            original_source_field,
            original_source,
            row_number() over (
                partition by person_id
                order by record_created_at, source_system, source_record_id
            ) as record_number
        from person_records
        where original_source_field is not null and not is_merged
    ) as ranked
    where record_number = 1

),

crm_source_values as (

    select
        person_id as subject_id,
        lower(trim(original_source_field)) as match_field,
        original_source as field_value
    from crm_sources

),

crm_source_channels as (

    {{ first_matching_channel_rule('crm_source_values') }}

),

-- every person's columns that do not come from the touches
person_rows as (

    select
        people.person_id,
        people.has_email,
        people.created_at,
        lead_entries.lead_at,
        coalesce(crm_source_channels.channel, 'unknown') as crm_channel
    from people
    left join lead_entries
        on lead_entries.person_id = people.person_id
    left join crm_source_channels
        on crm_source_channels.subject_id = people.person_id

),

touches as (

    select person_id, touchpoint_id, touched_at, channel, campaign_key, channeled_at
    from {{ ref('int_touchpoints_channeled') }}

),

{%- if is_incremental() %}
{{- require_stored_column('built_at') }}

stored as (

    select * from {{ this }}

),

touch_counts as (

    select person_id, count(*) as touch_count
    from touches
    group by person_id

),

persons_to_describe as (

    select coalesce(person_rows.person_id, stored.person_id) as person_id
    from person_rows
    full outer join stored
        on stored.person_id = person_rows.person_id
    where
        person_rows.person_id is null
        or stored.person_id is null
        or person_rows.has_email is distinct from stored.has_email
        or person_rows.created_at is distinct from stored.created_at
        or person_rows.lead_at is distinct from stored.lead_at
        or (stored.touch_count = 0 and person_rows.crm_channel is distinct from stored.original_channel)

    union

    select person_id
    from touches
    where {{ stamped_after('channeled_at', '(select max(built_at) from ' ~ this ~ ')') }}

    union

    select coalesce(touch_counts.person_id, stored.person_id) as person_id
    from touch_counts
    full outer join stored
        on stored.person_id = touch_counts.person_id
    where coalesce(touch_counts.touch_count, 0) <> coalesce(stored.touch_count, 0)

),

rows_to_describe as (

    select * from person_rows
    where person_id in (select person_id from persons_to_describe)

),

touches_to_rank as (

    select * from touches
    where person_id in (select person_id from persons_to_describe)

),

{%- else %}

rows_to_describe as (

    select * from person_rows

),

touches_to_rank as (

    select * from touches

),

{%- endif %}

-- the first touch (earliest, ties by touchpoint id) and the touch count of each person
first_touches as (

    {{ first_row_per_partition(
        'touches_to_rank', 'person_id', ['touched_at', 'touchpoint_id'],
        ['touchpoint_id', 'channel', 'campaign_key']
    ) | indent(4) }}

)

select
    rows_to_describe.person_id,
    rows_to_describe.has_email,
    rows_to_describe.created_at,
    rows_to_describe.lead_at,
    coalesce(first_touches.channel, rows_to_describe.crm_channel) as original_channel,
    coalesce(first_touches.campaign_key, '(none)') as original_campaign_key,
    first_touches.touchpoint_id as first_touchpoint_id,
    coalesce(first_touches.row_count, 0) as touch_count,
    {{ run_started_timestamp() }} as built_at
from rows_to_describe
left join first_touches
    on first_touches.person_id = rows_to_describe.person_id
{%- if is_incremental() %}
union all
-- a person gone (merged away, every record gone): a tombstone over the stored row
{{ gone_tombstones(columns, ['person_id'], 'persons_to_describe', 'person_rows') }}
{%- endif %}
