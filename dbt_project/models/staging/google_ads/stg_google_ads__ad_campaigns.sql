{#
    Google Ads campaigns as the shared spend models read them (registry entity `ad_campaigns`):
    channel (METRICS.md, Spend) search -> paid_search, display (`DISPLAY`) -> display; the
    account's time zone and currency as Google reports them with the campaign.
#}
with

campaigns as (

    select * from {{ ref('stg_google_ads__campaigns') }}

)

select
    'google_ads' as platform,
    campaign_id,
    campaign_name,
    case when upper(campaign_type) = 'DISPLAY' then 'display' else 'paid_search' end as channel,
    account_id,
    account_timezone,
    currency
from campaigns
