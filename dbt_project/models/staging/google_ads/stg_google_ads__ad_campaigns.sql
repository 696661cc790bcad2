{#
    Google Ads campaigns as the shared spend models read them (registry entity `ad_campaigns`):
    channel (METRICS.md, Spend) search -> paid_search, display (`DISPLAY`) -> display; the
    account's name (`customer.descriptive_name`), time zone and currency as Google reports them
    with the campaign.
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
    account_name,
    account_timezone,
    currency
from campaigns
