with

source as (

    select * from {{ source('linkedin', 'campaign_analytics_daily') }}
    -- records that fail a rule of this table (the `record_rules:` of the source in
    -- warehouse/sources.yml) are in quarantine_records instead
    where {{ passes_record_rules('linkedin', 'campaign_analytics_daily') }}

),

renamed as (

    select
        -- ids
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- dimensions: the ad account's currency, read with the analytics rows
        currency,

        -- numerics
        impressions,
        clicks,
        cast(cost_in_local_currency as double precision) as cost,
        cast(cost_in_usd as double precision) as cost_usd,
        -- conversions by LinkedIn's own attribution and their value, in the account currency
        coalesce(cast(external_website_conversions as double precision), 0) as conversions,
        coalesce(cast(conversion_value_in_local_currency as double precision), 0)
            as conversion_value,

        -- dates: the account-local day (dateRange.start of a DAILY row)
        cast(date as date) as report_date

    from source

)

select * from renamed
