{#
    Salesforce's person records in the conformed shape of the registry entity `person_records`
    (unioned by int_person_records_unioned): one row per lead and per contact, those merged away
    included (deleted by a merge, they are still a record of the survivor's person:
    stg_salesforce__record_merges). A lead and the contact it was converted into are two records
    of one person (a conversion is a merge into the contact). A record's own original source is
    `LeadSource`, matched by the `LeadSource` rows of `channel_rules`. The email is as typed
    (PII); the shared model normalizes it.
#}
with

leads as (

    select * from {{ ref('stg_salesforce__lead') }}
    where not is_deleted or master_record_id is not null

),

contacts as (

    select * from {{ ref('stg_salesforce__contact') }}
    where not is_deleted or master_record_id is not null

),

conformed as (

    select
        -- ids
        'salesforce' as source_system,
        lead_id as source_record_id,

        -- dimensions (email is PII: it stops at the identity models)
        email,
        'LeadSource' as original_source_field,
        lead_source as original_source,

        -- timestamps
        created_at as record_created_at

    from leads

    union all

    select
        'salesforce' as source_system,
        contact_id as source_record_id,
        email,
        'LeadSource' as original_source_field,
        lead_source as original_source,
        created_at as record_created_at

    from contacts

)

select * from conformed
