{#
    HubSpot's merged contacts in the conformed shape of the registry entity `record_merges`
    (unioned by int_person_record_merges_unioned): one row per (surviving contact, contact
    merged into it), from stg_hubspot__contact_merges.
#}
with

merges as (

    select * from {{ ref('stg_hubspot__contact_merges') }}

),

conformed as (

    select
        -- ids
        'hubspot' as source_system,
        survivor_id as survivor_record_id,
        merged_id as merged_record_id

    from merges

)

select * from conformed
