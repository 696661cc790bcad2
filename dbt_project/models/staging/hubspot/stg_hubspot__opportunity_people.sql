{#
    HubSpot's deal contacts in the conformed shape of the registry entity `opportunity_people`
    (unioned by int_opportunity_people): one row per (deal, contact), whatever the association
    type. The contact is a person record of this source (`source_system`, `source_record_id`).
#}
with

associations as (

    select * from {{ ref('stg_hubspot__deal_contacts') }}

),

conformed as (

    select distinct
        -- ids
        deal_id as opportunity_id,
        'hubspot' as source_system,
        contact_id as source_record_id

    from associations

)

select * from conformed
