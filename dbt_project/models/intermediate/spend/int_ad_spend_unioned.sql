{#
    Ad platform spend, one row per platform, account, campaign and account-local reporting day,
    in the account's currency; channel and account time zone from int_ad_campaigns (Google's
    rows carry their own time zone).
#}

with

google_ads as (

    select
        'google_ads' as platform, account_id, campaign_id, report_date, currency,
        account_timezone, impressions, clicks, cost
    from {{ ref('stg_google_ads__campaign_days') }}

),

meta as (

    select
        'meta' as platform, account_id, campaign_id, report_date, currency,
        cast(null as {{ dbt.type_string() }}) as account_timezone, impressions, clicks, cost
    from {{ ref('stg_meta__campaign_days') }}

),

linkedin as (

    select
        'linkedin' as platform, account_id, campaign_id, report_date, currency,
        cast(null as {{ dbt.type_string() }}) as account_timezone, impressions, clicks, cost
    from {{ ref('stg_linkedin__campaign_days') }}

),

microsoft_ads as (

    select
        'microsoft_ads' as platform, account_id, campaign_id, report_date, currency,
        cast(null as {{ dbt.type_string() }}) as account_timezone, impressions, clicks, cost
    from {{ ref('stg_microsoft_ads__campaign_days') }}

),

unioned as (

    select * from google_ads
    union all
    select * from meta
    union all
    select * from linkedin
    union all
    select * from microsoft_ads

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
    unioned.cost
from unioned
left join {{ ref('int_ad_campaigns') }} as campaigns
    on campaigns.platform = unioned.platform
    and campaigns.account_id = unioned.account_id
    and campaigns.campaign_id = unioned.campaign_id
