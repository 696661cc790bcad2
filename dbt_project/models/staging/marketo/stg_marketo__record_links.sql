{#
    Marketo's links to the CRM in the conformed shape of the registry entity `record_links`
    (read by int_person_record_links_unioned): one row per lead that Marketo's Salesforce sync
    ties to a record of the CRM (the source the var `marketo_sfdc_system` names): the contact it
    became when converted, else the CRM's lead.
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
        '{{ var("marketo_sfdc_system") }}' as linked_system,
        coalesce(sfdc_contact_id, sfdc_lead_id) as linked_record_id

    from leads

)

select * from conformed
