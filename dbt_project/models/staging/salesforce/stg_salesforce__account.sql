with

source as (

    select * from {{ source('salesforce', 'accounts') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as account_id,
        cast(master_record_id as {{ dbt.type_string() }}) as master_record_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,

        -- dimensions
        name as account_name,
        website,
        billing_country,
        industry,
        coalesce(is_deleted, false) as is_deleted,

        -- timestamps
        created_date as created_at,
        system_modstamp as updated_at

    from source

)

select * from renamed
