with

source as (

    select * from {{ source('hubspot', 'contacts') }}
    -- records that fail a rule are in quarantine_records instead (macros/record_rules.sql)
    where {{ passes_record_rules('hubspot', 'contacts') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as contact_id,
        cast(associatedcompanyid as {{ dbt.type_string() }}) as company_id,

        -- dimensions (email and names are PII: they stop at the identity models)
        email,
        firstname as first_name,
        lastname as last_name,
        lifecyclestage as lifecycle_stage,
        hs_analytics_source as original_source,
        hs_merged_object_ids as merged_object_ids,
        coalesce(archived, false) as is_archived,

        -- timestamps
        createdate as created_at,
        lastmodifieddate as updated_at

    from source

)

select * from renamed
