with

source as (

    select * from {{ source('linkedin', 'ad_accounts') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as account_id,

        -- dimensions
        name as account_name,
        currency,
        status as account_status,
        type as account_type,
        test as is_test

    from source

)

select * from renamed
