with

source as (

    select * from {{ source('fx', 'rates') }}

),

renamed as (

    select
        -- dimensions
        upper(trim(currency)) as currency,
        upper(trim(base)) as base_currency,

        -- numerics: units of `currency` per one unit of `base_currency`
        cast(rate as double precision) as units_per_base,

        -- dates
        cast(date as date) as published_date

    from source

)

select * from renamed
