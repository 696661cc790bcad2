with

source as (

    select * from {{ source('microsoft_ads', 'campaign_performance_daily') }}
    -- records that fail a rule of this table (the `record_rules:` of the source in
    -- warehouse/sources.yml) are in quarantine_records instead
    where {{ passes_record_rules('microsoft_ads', 'campaign_performance_daily') }}

),

renamed as (

    select
        -- ids
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- dimensions
        account_name,
        campaign_name,
        campaign_type,
        campaign_status,
        currency_code as currency,

        -- numerics
        impressions,
        clicks,
        cast(spend as double precision) as cost,
        -- conversions by Microsoft's own conversion goals and their revenue, account currency
        coalesce(cast(conversions as double precision), 0) as conversions,
        coalesce(cast(revenue as double precision), 0) as conversion_value,

        -- dates: the account-local day (TimePeriod of a daily report)
        cast(date as date) as report_date

    from source

)

select * from renamed
