with

source as (

    select * from {{ source('google_ads', 'campaign_daily') }}
    -- records that fail a rule of this table (the `record_rules:` of the source in
    -- warehouse/sources.yml) are in quarantine_records instead
    where {{ passes_record_rules('google_ads', 'campaign_daily') }}

),

renamed as (

    select
        -- ids
        cast(customer_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- dimensions
        currency_code as currency,
        time_zone as account_timezone,

        -- numerics
        impressions,
        clicks,
        cast(cost_micros as double precision) / 1000000.0 as cost,
        -- the conversions Google attributes by its own rules (fractional under data-driven
        -- attribution) and their value, in the account currency
        coalesce(cast(conversions as double precision), 0) as conversions,
        coalesce(cast(conversions_value as double precision), 0) as conversion_value,

        -- dates: the account-local reporting day, as Google reports it
        cast(date as date) as report_date

    from source

)

select * from renamed
