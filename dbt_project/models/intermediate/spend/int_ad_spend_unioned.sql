{#
    Ad platform spend, one row per platform, account, campaign and account-local reporting day,
    in the account's currency: the union of the enabled sources' `ad_spend` staging models
    (warehouse/sources.yml). Channel from int_ad_campaigns; the account time zone the row's own
    (its staging model's), else its campaign's.
#}

with

unioned as (

    {{ union_sources('ad_spend', [
        ('platform', 'string'), ('account_id', 'string'), ('campaign_id', 'string'),
        ('report_date', 'date'), ('currency', 'string'), ('account_timezone', 'string'),
        ('impressions', 'bigint'), ('clicks', 'bigint'), ('cost', 'double'),
        ('conversions', 'double'), ('conversion_value', 'double'),
    ]) }}

)

select
    unioned.report_date,
    unioned.platform,
    unioned.account_id,
    unioned.campaign_id,
    unioned.platform || ':' || unioned.campaign_id as campaign_key,
    campaigns.channel,
    coalesce(unioned.account_timezone, campaigns.account_timezone) as account_timezone,
    unioned.currency,
    unioned.impressions,
    unioned.clicks,
    unioned.cost,
    unioned.conversions,
    unioned.conversion_value
from unioned
left join {{ ref('int_ad_campaigns') }} as campaigns
    on campaigns.platform = unioned.platform
    and campaigns.account_id = unioned.account_id
    and campaigns.campaign_id = unioned.campaign_id
