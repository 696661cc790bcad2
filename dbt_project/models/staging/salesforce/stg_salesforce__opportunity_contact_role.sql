with

source as (

    select * from {{ source('salesforce', 'opportunity_contact_roles') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as opportunity_contact_role_id,
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,

        -- dimensions
        role,
        coalesce(is_primary, false) as is_primary,
        coalesce(is_deleted, false) as is_deleted,

        -- timestamps
        created_date as created_at

    from source

)

select * from renamed
