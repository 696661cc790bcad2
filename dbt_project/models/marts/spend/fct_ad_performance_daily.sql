{#
    Ad performance per day, platform, account and campaign: the ad platform rows of
    fct_spend_daily (so spend is the same number, converted the same way, as spend_daily's) with
    the campaign's and account's names (int_ad_campaigns), the channel's display label (seed
    `channels`) and the delivery rates. Program costs are not ad delivery: they have no
    impressions or clicks and stay in spend_daily only.

    Rates (METRICS.md, Ad performance): ctr = clicks / impressions, cpc = spend / clicks,
    cpm = spend x 1000 / impressions, in reporting currency, null when the denominator is 0.

    platform_conversions and platform_conversion_value are what the row's platform reports by
    its own attribution (METRICS.md, Ad performance): they sit beside the CRM's numbers and are
    never added across platforms, whose rules differ.
#}

{%- set ad_platforms = sources_holding('ad_spend') | map(attribute=0) | list %}

with

spend as (

    select * from {{ ref('fct_spend_daily') }}
    where
    {%- if ad_platforms %}
        platform in ({% for p in ad_platforms %}'{{ p }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- else %}
        1 = 0
    {%- endif %}

),

campaigns as (

    select * from {{ ref('int_ad_campaigns') }}

),

channels as (

    select channel, label from {{ ref('channels') }}

),

joined as (

    select
        spend.spend_date,
        spend.platform,
        spend.account_id,
        campaigns.account_name,
        spend.account_timezone,
        spend.campaign_key,
        spend.campaign_id,
        campaigns.campaign_name,
        spend.channel,
        channels.label as channel_label,
        spend.currency,
        coalesce(spend.impressions, 0) as impressions,
        coalesce(spend.clicks, 0) as clicks,
        spend.spend_original,
        spend.spend,
        coalesce(spend.conversions, 0) as platform_conversions,
        coalesce(spend.conversion_value, 0) as platform_conversion_value
    from spend
    left join campaigns
        on campaigns.campaign_key = spend.campaign_key
        and campaigns.account_id = spend.account_id
    left join channels
        on channels.channel = spend.channel

)

select
    *,
    cast(clicks as double precision) / nullif(impressions, 0) as ctr,
    spend / nullif(clicks, 0) as cpc,
    spend * 1000.0 / nullif(impressions, 0) as cpm
from joined
