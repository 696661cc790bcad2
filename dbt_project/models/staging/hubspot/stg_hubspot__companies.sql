with

source as (

    select * from {{ source('hubspot', 'companies') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as company_id,

        -- dimensions
        name as company_name,
        domain,
        country,
        industry,
        lifecyclestage as lifecycle_stage,
        coalesce(archived, false) as is_archived,

        -- timestamps
        createdate as created_at,
        hs_lastmodifieddate as updated_at

    from source

)

select * from renamed
