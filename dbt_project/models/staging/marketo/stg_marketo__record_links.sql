{#
    Marketo's links to the CRM in the conformed shape of the registry entity `record_links`
    (read by int_people_identified): one row per lead that Marketo's Salesforce sync ties to a
    Salesforce record, the contact it became when converted, else the Salesforce lead.
#}
with

leads as (

    select * from {{ ref('stg_marketo__leads') }}
    where coalesce(sfdc_contact_id, sfdc_lead_id) is not null

),

conformed as (

    select
        -- ids
        'marketo' as source_system,
        cast(lead_id as {{ dbt.type_string() }}) as source_record_id,
        'salesforce' as linked_system,
        coalesce(sfdc_contact_id, sfdc_lead_id) as linked_record_id

    from leads

)

select * from conformed
