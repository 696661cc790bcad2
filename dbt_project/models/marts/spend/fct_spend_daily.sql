{#
    Spend per day, platform, account and campaign in reporting currency: the ad platforms'
    campaign days (zero cost included) and the Marketo programs' period costs. Program costs
    of one program booked on the same day add up.
#}

with

ad_spend as (

    select
        report_date as spend_date, platform, account_id, campaign_id, campaign_key, channel,
        account_timezone, currency, impressions, clicks, spend_original, fx_rate, spend
    from {{ ref('int_ad_spend_converted') }}

),

program_costs as (

    select
        cost_date as spend_date, platform, account_id, campaign_id, campaign_key, channel,
        cast(null as {{ dbt.type_string() }}) as account_timezone, currency,
        cast(null as bigint) as impressions, cast(null as bigint) as clicks,
        spend_original, fx_rate, spend
    from {{ ref('int_program_costs_converted') }}

),

unioned as (

    select * from ad_spend
    union all
    select * from program_costs

)

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
    sum(spend) as spend
from unioned
group by spend_date, platform, account_id, campaign_id, campaign_key, channel, account_timezone, currency
