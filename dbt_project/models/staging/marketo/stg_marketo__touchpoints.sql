{#
    Marketo's marketing touches in the conformed shape of the registry entity `touchpoints`
    (unioned, URL-parsed and kept incrementally by int_touchpoints_unioned). The activities
    that are touches:
      1 Visit Webpage, 2 Fill Out Form (query: `Query Parameters`),
      11 Click Email (query: the clicked link's; program: the part of the primary attribute
         before the first dot, `<program name>.<email name>`),
      104 Change Status in Progression to an attended status (program: the primary attribute
         id; statuses: var `marketo_attended_statuses`, default Attended).
    touchpoint_id = 'marketo-' || the activity id zero-padded to 15 digits, so text order is
    numeric order (the tie-break of "first touch"). The program's name and channel are those
    of the program as of the load: a program renamed or created later re-keys its touches here,
    and the incremental model recomputes every touch whose row here changed.
#}
{%- set attended_statuses = var('marketo_attended_statuses', ['Attended']) -%}

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

    select program_id, program_name, program_channel
    from {{ ref('stg_marketo__programs') }}

),

-- Marketo keeps program names unique; the min only guards the join against a duplicate
program_ids_by_name as (

    select program_name, min(program_id) as program_id
    from programs
    group by program_name

),

touches as (

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

conformed as (

    select
        -- ids
        'marketo-' || lpad(cast(touches.activity_id as {{ dbt.type_string() }}), 15, '0')
            as touchpoint_id,
        'marketo' as source_system,
        cast(touches.lead_id as {{ dbt.type_string() }}) as source_record_id,

        -- dimensions
        case touches.activity_type_id
            when 1 then 'web_visit'
            when 2 then 'form_fill'
            when 11 then 'email_click'
            when 104 then 'event_attended'
        end as touch_type,
        touches.query_string,
        cast(touches.program_id as {{ dbt.type_string() }}) as program_id,
        programs.program_name,
        programs.program_channel,

        -- timestamps
        touches.activity_at as touched_at

    from touches
    left join programs
        on programs.program_id = touches.program_id

)

select * from conformed
