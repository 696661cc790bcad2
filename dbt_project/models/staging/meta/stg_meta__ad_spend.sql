{#
    Meta daily campaign spend as the shared spend models read it (registry entity `ad_spend`):
    one row per account (`act_<id>`), campaign and account-local day, in the account's
    currency, with the account's time zone from the `ad_account_timezones` setting.
#}
with

days as (

    select * from {{ ref('stg_meta__campaign_days') }}

)

select
    'meta' as platform,
    account_id,
    campaign_id,
    report_date,
    currency,
    {{ ad_account_timezone('meta', 'days.account_id') }} as account_timezone,
    impressions,
    clicks,
    cost,
    conversions,
    conversion_value
from days
