{#
    Every ad platform campaign with its name, channel, account and account name, account time
    zone and currency: the union of the enabled sources' `ad_campaigns` staging models
    (warehouse/sources.yml). Each platform's channel (METRICS.md, Spend), name, time zone and
    currency rules live in its own staging model; none enabled, this is empty.
#}

with

unioned as (

    {{ union_sources('ad_campaigns', [
        ('platform', 'string'), ('campaign_id', 'string'), ('campaign_name', 'string'),
        ('channel', 'string'), ('account_id', 'string'), ('account_name', 'string'),
        ('account_timezone', 'string'), ('currency', 'string'),
    ]) }}

)

select
    platform,
    campaign_id,
    platform || ':' || campaign_id as campaign_key,
    campaign_name,
    channel,
    account_id,
    account_name,
    account_timezone,
    currency
from unioned
