with

source as (

    select * from {{ source('salesforce', 'leads') }}
    -- records that fail a rule are in quarantine_records instead (macros/record_rules.sql)
    where {{ passes_record_rules('salesforce', 'leads') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as lead_id,
        cast(converted_contact_id as {{ dbt.type_string() }}) as converted_contact_id,
        cast(converted_account_id as {{ dbt.type_string() }}) as converted_account_id,
        cast(converted_opportunity_id as {{ dbt.type_string() }}) as converted_opportunity_id,
        cast(master_record_id as {{ dbt.type_string() }}) as master_record_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,

        -- dimensions (email and names are PII: they stop at the identity models)
        email,
        first_name,
        last_name,
        company as company_name,
        status,
        lead_source,
        coalesce(is_converted, false) as is_converted,
        coalesce(is_deleted, false) as is_deleted,

        -- timestamps
        cast(converted_date as date) as converted_date,
        created_date as created_at,
        system_modstamp as updated_at

    from source

)

select * from renamed
