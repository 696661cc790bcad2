{#
    HubSpot's person records in the conformed shape of the registry entity `person_records`
    (unioned by int_person_records_unioned): one row per contact that is not archived (an
    archived contact is deleted in HubSpot, no longer a person record). The email is as typed
    (PII); the shared model normalizes it. A contact's own original source is
    `hs_analytics_source`, matched by the `hs_analytics_source` rows of `channel_rules`.
#}
with

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}
    where not is_archived

),

conformed as (

    select
        -- ids
        'hubspot' as source_system,
        contact_id as source_record_id,

        -- dimensions (email is PII: it stops at the identity models)
        email,
        'hs_analytics_source' as original_source_field,
        original_source,

        -- timestamps
        created_at as record_created_at

    from contacts

)

select * from conformed
