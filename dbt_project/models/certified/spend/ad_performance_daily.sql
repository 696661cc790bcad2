select
    spend_date as date,
    cast(platform as varchar) as platform,
    cast(account_id as varchar) as account_id,
    cast(account_name as varchar) as account_name,
    cast(account_timezone as varchar) as account_timezone,
    cast(campaign_key as varchar) as campaign_key,
    cast(campaign_name as varchar) as campaign_name,
    cast(channel as varchar) as channel,
    cast(channel_label as varchar) as channel_label,
    cast(currency as varchar) as currency,
    cast(impressions as bigint) as impressions,
    cast(clicks as bigint) as clicks,
    cast(spend_original as double precision) as spend_original,
    cast(spend as double precision) as spend,
    cast(ctr as double precision) as ctr,
    cast(cpc as double precision) as cpc,
    cast(cpm as double precision) as cpm
from {{ ref('fct_ad_performance_daily') }}
