select
    spend_date as date,
    cast(platform as varchar) as platform,
    cast(account_id as varchar) as account_id,
    cast(campaign_key as varchar) as campaign_key,
    cast(channel as varchar) as channel,
    cast(account_timezone as varchar) as account_timezone,
    cast(currency as varchar) as currency,
    cast(spend_original as double precision) as spend_original,
    cast(fx_rate as double precision) as fx_rate,
    cast(spend as double precision) as spend
from {{ ref('fct_spend_daily') }}
