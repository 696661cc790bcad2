{#
    Every activity, typed, with the attributes the models use pulled out of the JSON object.
    Email clicks (type 11) carry their UTM query inside the clicked `Link`, web visits and
    form fills (1, 2) in `Query Parameters`: `query_string` is whichever the activity has.
#}
with

source as (

    select * from {{ source('marketo', 'activities') }}
    -- records that fail a rule are in quarantine_records instead (macros/record_rules.sql)
    where {{ passes_record_rules('marketo', 'activities') }}

),

renamed as (

    select
        -- ids
        cast(id as bigint) as activity_id,
        marketo_guid,
        cast(lead_id as bigint) as lead_id,
        cast(activity_type_id as bigint) as activity_type_id,
        cast(primary_attribute_value_id as bigint) as primary_attribute_value_id,

        -- dimensions
        case cast(activity_type_id as bigint)
            when 1 then 'Visit Webpage'
            when 2 then 'Fill Out Form'
            when 11 then 'Click Email'
            when 13 then 'Change Data Value'
            when 104 then 'Change Status in Progression'
        end as activity_type_name,
        primary_attribute_value,
        {{ json_text('attributes', 'Query Parameters') }} as query_parameters,
        {{ json_text('attributes', 'Link') }} as link_url,
        coalesce(
            {{ json_text('attributes', 'Query Parameters') }},
            {{ regex_capture(json_text('attributes', 'Link'), '[?]([^#]*)') }}
        ) as query_string,
        {{ json_text('attributes', 'New Value') }} as new_value,
        {{ json_text('attributes', 'Old Value') }} as old_value,
        {{ json_text('attributes', 'New Status') }} as new_status,
        {{ json_text('attributes', 'Old Status') }} as old_status,

        -- timestamps
        activity_date as activity_at

    from source

)

select * from renamed
