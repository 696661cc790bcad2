with

source as (

    select * from {{ source('marketo', 'leads') }}

),

renamed as (

    select
        -- ids
        cast(id as bigint) as lead_id,

        -- dimensions (email and names are PII: they stop at the identity models)
        email,
        first_name,
        last_name,
        lead_status,

        -- timestamps
        created_at,
        updated_at

    from source

)

select * from renamed
