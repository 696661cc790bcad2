with

source as (

    select * from {{ source('salesforce', 'contacts') }}
    -- records that fail a rule are in quarantine_records instead (macros/record_rules.sql)
    where {{ passes_record_rules('salesforce', 'contacts') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as contact_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(master_record_id as {{ dbt.type_string() }}) as master_record_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,

        -- dimensions (email and names are PII: they stop at the identity models)
        email,
        first_name,
        last_name,
        lead_source,
        coalesce(is_deleted, false) as is_deleted,

        -- timestamps
        created_date as created_at,
        system_modstamp as updated_at

    from source

)

select * from renamed
