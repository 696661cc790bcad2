{# Lead Status changes: activity type 13 (Change Data Value) on the Lead Status field. #}
with

activities as (

    select * from {{ ref('stg_marketo__activities') }}

),

renamed as (

    select
        -- ids
        activity_id,
        lead_id,

        -- dimensions
        new_value,
        old_value,

        -- timestamps
        activity_at as changed_at

    from activities
    where
        activity_type_id = 13
        and lower(trim(primary_attribute_value)) = 'lead status'
        and new_value is not null

)

select * from renamed
