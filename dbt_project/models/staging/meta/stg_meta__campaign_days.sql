with

source as (

    select * from {{ source('meta', 'campaign_insights_daily') }}
    -- records that fail a rule of this table (the `record_rules:` of the source in
    -- warehouse/sources.yml) are in quarantine_records instead
    where {{ passes_record_rules('meta', 'campaign_insights_daily') }}

),

renamed as (

    select
        -- ids: Meta names an ad account `act_<account_id>`; we keep that form everywhere
        'act_' || cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- dimensions
        account_name,
        account_currency as currency,
        campaign_name,

        -- numerics
        impressions,
        clicks,
        cast(spend as double precision) as cost,

        -- dates: the account-local day (time_increment=1, so date_start = date_stop)
        cast(date_start as date) as report_date

    from source

)

select * from renamed
