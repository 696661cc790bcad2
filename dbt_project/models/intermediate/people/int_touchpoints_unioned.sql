{#
    Every marketing touch of every person, one row per touch, with what the channel rules and
    campaign matching read: the URL query parameters (UTM, click ids, decoded) and the
    automation program. Marketo activities:
      1 Visit Webpage, 2 Fill Out Form (query: `Query Parameters`),
      11 Click Email (query: the clicked link's; program: the part of the primary attribute
         before the first dot, `<program name>.<email name>`),
      104 Change Status in Progression to an attended status (program: the primary attribute
         id; statuses: var `marketo_attended_statuses`, default Attended).
    touchpoint_id = 'marketo-' || the activity id zero-padded to 15 digits, so text order is
    numeric order. A new source (ad clicks recorded elsewhere, a CRM's campaign members)
    adds one union branch in the same shape.

    Incremental by touchpoint: Marketo activities never change once logged, so a run parses
    only the activities that are new (late-attached history of any date included), those of a
    record whose person changed (a merge, a new email) and those whose program changed (a
    program renamed or created with the name an email click refers to); touchpoints whose
    activity or record is gone are deleted. A change of `marketo_attended_statuses` needs
    `dbt build --full-refresh`.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='touchpoint_id',
    on_schema_change='fail',
    post_hook="{{ delete_vanished_partitions(['touchpoint_id'], [('(' ~ present_touchpoint_ids() ~ ') as current_touchpoints', ['touchpoint_id'])]) }}",
) }}
{%- set attended_statuses = var('marketo_attended_statuses', ['Attended']) -%}
{%- set query_fields = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content',
                        'gclid', 'msclkid', 'fbclid', 'li_fat_id'] -%}

with

activities as (

    select * from {{ ref('stg_marketo__activities') }}
    where
        activity_type_id in (1, 2, 11)
        or (
            activity_type_id = 104
            and lower(trim(new_status)) in (
                {%- for status in attended_statuses %}
                '{{ status | lower | trim }}'{% if not loop.last %},{% endif %}
                {%- endfor %}
            )
        )

),

programs as (

    select * from {{ ref('stg_marketo__programs') }}

),

-- Marketo keeps program names unique; the min only guards the join against a duplicate
program_ids_by_name as (

    select program_name, min(program_id) as program_id
    from programs
    group by program_name

),

marketo_touches as (

    select
        activities.activity_id,
        activities.lead_id,
        activities.activity_at,
        activities.activity_type_id,
        activities.query_string,
        activities.primary_attribute_value,
        case activities.activity_type_id
            when 104 then activities.primary_attribute_value_id
            when 11 then program_ids_by_name.program_id
        end as program_id
    from activities
    left join program_ids_by_name
        on
            activities.activity_type_id = 11
            and program_ids_by_name.program_name
            = {{ dbt.split_part('activities.primary_attribute_value', "'.'", 1) }}

),

{%- if is_incremental() %}

-- what a stored touch was computed from, to find the touches that need computing again
stored_records as (

    select distinct source_system, source_record_id, person_id from {{ this }}

),

changed_records as (

    select person_records.source_system, person_records.source_record_id
    from {{ ref('int_person_records') }} as person_records
    left join stored_records
        on
            stored_records.source_system = person_records.source_system
            and stored_records.source_record_id = person_records.source_record_id
            and stored_records.person_id = person_records.person_id
    where stored_records.person_id is null

),

changed_programs as (

    select program_id, program_name, program_channel from programs
    except
    select distinct program_id, program_name, program_channel from {{ this }}
    where program_id is not null

),

{%- endif %}

marketo as (

    select
        'marketo-' || lpad(cast(activity_id as {{ dbt.type_string() }}), 15, '0') as touchpoint_id,
        'marketo' as source_system,
        cast(lead_id as {{ dbt.type_string() }}) as source_record_id,
        activity_at as touched_at,
        case activity_type_id
            when 1 then 'web_visit'
            when 2 then 'form_fill'
            when 11 then 'email_click'
            when 104 then 'event_attended'
        end as touch_type,
        query_string,
        program_id
    from marketo_touches
    {%- if is_incremental() %}
    where
        'marketo-' || lpad(cast(activity_id as {{ dbt.type_string() }}), 15, '0')
        not in (select touchpoint_id from {{ this }})
        or cast(lead_id as {{ dbt.type_string() }}) in (
            select source_record_id from changed_records where source_system = 'marketo'
        )
        or program_id in (select program_id from changed_programs)
        or 'marketo-' || lpad(cast(activity_id as {{ dbt.type_string() }}), 15, '0') in (
            select touchpoint_id from {{ this }}
            where program_id in (select program_id from changed_programs)
        )
        or (
            activity_type_id = 11
            and {{ dbt.split_part('primary_attribute_value', "'.'", 1) }}
            in (select program_name from changed_programs)
        )
    {%- endif %}

),

unioned as (

    select * from marketo

)

select
    unioned.touchpoint_id,
    person_records.person_id,
    unioned.source_system,
    unioned.source_record_id,
    unioned.touched_at,
    unioned.touch_type,
    unioned.query_string,
    {%- for field in query_fields %}
    {{ url_param('unioned.query_string', field) }} as {{ field }},
    {%- endfor %}
    unioned.program_id,
    programs.program_name,
    programs.program_channel
from unioned
-- a touch of a record not (yet) loaded has no person: it waits for the record
inner join {{ ref('int_person_records') }} as person_records
    on
        person_records.source_system = unioned.source_system
        and person_records.source_record_id = unioned.source_record_id
left join programs
    on programs.program_id = unioned.program_id
