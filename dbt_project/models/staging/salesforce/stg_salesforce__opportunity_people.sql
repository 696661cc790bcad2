{#
    Salesforce's opportunity contact roles in the conformed shape of the registry entity
    `opportunity_people` (unioned by int_opportunity_people): one row per (opportunity,
    contact), whatever the role. The contact is a person record of this source.
#}
with

roles as (

    select * from {{ ref('stg_salesforce__opportunity_contact_role') }}
    where not is_deleted and contact_id is not null

),

conformed as (

    select distinct
        -- ids
        opportunity_id,
        'salesforce' as source_system,
        contact_id as source_record_id

    from roles

)

select * from conformed
