with

source as (

    select * from {{ source('google_ads', 'campaigns') }}

),

renamed as (

    select
        -- ids
        cast(customer_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- dimensions
        campaign_name,
        campaign_status,
        campaign_advertising_channel_type as campaign_type,
        customer_name as account_name,
        currency_code as currency,
        time_zone as account_timezone

    from source

)

select * from renamed
