{#
    HubSpot's lifecycle entries in the conformed shape of the registry entity `stage_entries`
    (unioned by int_lifecycle_stage_entries_unioned): one row per (contact, lifecycle value)
    with a date. `source_value` is HubSpot's internal value; the `hubspot` rows of the seed
    `lifecycle_stage_map` map it to a canonical stage.
#}
with

stage_dates as (

    select * from {{ ref('stg_hubspot__lifecycle_stage_dates') }}

),

conformed as (

    select
        -- ids
        'hubspot' as source_system,
        contact_id as source_record_id,

        -- dimensions
        source_value,

        -- timestamps
        entered_at

    from stage_dates

)

select * from conformed
