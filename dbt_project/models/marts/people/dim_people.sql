{#
    One row per person. Original channel and campaign: those of the first touchpoint
    (earliest, ties by touchpoint id); a person without touchpoints takes the channel that
    `channel_rules` gives for the own original-source value (its `original_source_field`) of
    its earliest surviving record that has one, else `unknown`, and campaign `(none)`
    (docs/certified_tables.md, Touchpoints, channels, campaigns). Without an enabled source of
    touchpoints every person takes that fallback.
#}
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

touches as (

    select * from {{ ref('int_touchpoints_channeled') }}

),

-- the first touch (earliest, ties by touchpoint id) and the touch count of each person
first_touches as (

    {{ first_row_per_partition(
        'touches', 'person_id', ['touched_at', 'touchpoint_id'],
        ['touchpoint_id', 'channel', 'campaign_key']
    ) | indent(4) }}

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

)

select
    people.person_id,
    people.has_email,
    people.created_at,
    lead_entries.lead_at,
    coalesce(first_touches.channel, crm_source_channels.channel, 'unknown') as original_channel,
    coalesce(first_touches.campaign_key, '(none)') as original_campaign_key,
    first_touches.touchpoint_id as first_touchpoint_id,
    coalesce(first_touches.row_count, 0) as touch_count
from people
left join lead_entries
    on lead_entries.person_id = people.person_id
left join first_touches
    on first_touches.person_id = people.person_id
left join crm_source_channels
    on crm_source_channels.subject_id = people.person_id
