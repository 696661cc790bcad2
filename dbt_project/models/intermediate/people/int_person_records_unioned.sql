{#
    Every person record of every CRM and automation platform, one row per source record, in
    one shape. A new system (Salesforce leads and contacts) adds its staging model and one
    union branch here; nothing downstream names a source system.

    `original_source_field` names the `channel_rules` field the record's own original-source
    value is matched on (CRM records only: HubSpot `hs_analytics_source`).
#}
with

hubspot_contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}
    -- an archived (deleted) contact is no longer a person record
    where not is_archived

),

marketo_leads as (

    select * from {{ ref('stg_marketo__leads') }}

),

unioned as (

    select
        'hubspot' as source_system,
        contact_id as source_record_id,
        {{ normalized_email('email') }} as email_normalized,
        'hs_analytics_source' as original_source_field,
        original_source,
        created_at as record_created_at
    from hubspot_contacts

    union all

    select
        'marketo' as source_system,
        cast(lead_id as {{ dbt.type_string() }}) as source_record_id,
        {{ normalized_email('email') }} as email_normalized,
        cast(null as {{ dbt.type_string() }}) as original_source_field,
        cast(null as {{ dbt.type_string() }}) as original_source,
        created_at as record_created_at
    from marketo_leads

)

select
    source_system,
    source_record_id,
    email_normalized,
    email_normalized is not null as has_email,
    original_source_field,
    original_source,
    record_created_at
from unioned
