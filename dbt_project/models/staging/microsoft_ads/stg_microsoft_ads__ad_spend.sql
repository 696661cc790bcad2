{#
    Microsoft Ads daily campaign spend as the shared spend models read it (registry entity
    `ad_spend`): one row per account, campaign and account-local day, in the account's
    currency, with the account's time zone from the `ad_account_timezones` setting.
#}
with

days as (

    select * from {{ ref('stg_microsoft_ads__campaign_days') }}

)

select
    'microsoft_ads' as platform,
    account_id,
    campaign_id,
    report_date,
    currency,
    {{ ad_account_timezone('microsoft_ads', 'days.account_id') }} as account_timezone,
    impressions,
    clicks,
    cost,
    conversions,
    conversion_value
from days
