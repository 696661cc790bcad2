{#
    Marketo's person records in the conformed shape of the registry entity `person_records`
    (unioned by int_person_records_unioned): one row per lead. The email is as Marketo holds
    it (PII); the shared model normalizes it. Leads carry no original-source field of their
    own (their channel comes from their touchpoints).
#}
with

leads as (

    select * from {{ ref('stg_marketo__leads') }}

),

conformed as (

    select
        -- ids
        'marketo' as source_system,
        cast(lead_id as {{ dbt.type_string() }}) as source_record_id,

        -- dimensions (email is PII: it stops at the identity models)
        email,
        cast(null as {{ dbt.type_string() }}) as original_source_field,
        cast(null as {{ dbt.type_string() }}) as original_source,

        -- timestamps
        created_at as record_created_at

    from leads

)

select * from conformed
