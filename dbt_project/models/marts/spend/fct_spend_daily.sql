{#
    Spend per day, platform, account and campaign in reporting currency: the ad platforms'
    campaign days (zero cost included) and the Marketo programs' period costs. Program costs
    of one program booked on the same day add up.
    Incremental by spend row (macros/incremental_macros.sql): a run rewrites the rows that are
    new or changed (the platforms restate their last days; a program cost can change) and
    deletes those that are gone.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['spend_date', 'platform', 'account_id', 'campaign_key'],
    on_schema_change='fail',
    post_hook="{{ delete_vanished_partitions(
        ['spend_date', 'platform', 'account_id', 'campaign_key'],
        [(ref('int_ad_spend_converted'), ['report_date', 'platform', 'account_id', 'campaign_key']),
         (ref('int_program_costs_converted'), ['cost_date', 'platform', 'account_id', 'campaign_key'])]
    ) }}",
) }}

with

ad_spend as (

    select
        report_date as spend_date, platform, account_id, campaign_id, campaign_key, channel,
        account_timezone, currency, impressions, clicks, spend_original, fx_rate, spend,
        conversions, conversion_value_original, conversion_value
    from {{ ref('int_ad_spend_converted') }}

),

program_costs as (

    select
        cost_date as spend_date, platform, account_id, campaign_id, campaign_key, channel,
        cast(null as {{ dbt.type_string() }}) as account_timezone, currency,
        cast(null as bigint) as impressions, cast(null as bigint) as clicks,
        spend_original, fx_rate, spend,
        cast(null as double precision) as conversions,
        cast(null as double precision) as conversion_value_original,
        cast(null as double precision) as conversion_value
    from {{ ref('int_program_costs_converted') }}

),

unioned as (

    select * from ad_spend
    union all
    select * from program_costs

),

spend_days as (

    select
        spend_date,
        platform,
        account_id,
        campaign_id,
        campaign_key,
        channel,
        account_timezone,
        currency,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(spend_original) as spend_original,
        max(fx_rate) as fx_rate,
        sum(spend) as spend,
        sum(conversions) as conversions,
        sum(conversion_value_original) as conversion_value_original,
        sum(conversion_value) as conversion_value
    from unioned
    group by
        spend_date, platform, account_id, campaign_id, campaign_key, channel, account_timezone,
        currency

)

select * from spend_days
{{ changed_partitions('spend_days', ['spend_date', 'platform', 'account_id', 'campaign_key']) }}
