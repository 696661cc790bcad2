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
#}
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
