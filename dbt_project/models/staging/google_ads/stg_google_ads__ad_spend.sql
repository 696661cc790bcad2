{#
    Google Ads daily campaign cost as the shared spend models read it (registry entity
    `ad_spend`): one row per account, campaign and account-local day, in the account's currency,
    with the account's time zone Google sends on every row.
#}
with

days as (

    select * from {{ ref('stg_google_ads__campaign_days') }}

)

select
    'google_ads' as platform,
    account_id,
    campaign_id,
    report_date,
    currency,
    account_timezone,
    impressions,
    clicks,
    cost,
    conversions,
    conversion_value
from days
