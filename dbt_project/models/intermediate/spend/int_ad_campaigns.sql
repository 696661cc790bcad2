{#
    Every ad platform campaign with its channel, account, account time zone and currency.
    Channel (METRICS.md, Spend): Google Ads and Microsoft Ads search campaigns -> paid_search,
    their display campaigns -> display (Google `DISPLAY`; Microsoft `Audience`, its display
    network); Meta and LinkedIn -> paid_social. Time zones: Google reports the account's
    `time_zone`; the other platforms' come from the `ad_account_timezones` setting
    (macros/spend_macros.sql). Currency: the account's (Meta: the insights rows' account
    currency; LinkedIn: the ad account; Microsoft: the report rows).
#}

with

google_ads as (

    select
        'google_ads' as platform,
        account_id,
        campaign_id,
        campaign_name,
        case when upper(campaign_type) = 'DISPLAY' then 'display' else 'paid_search' end as channel,
        account_timezone,
        currency
    from {{ ref('stg_google_ads__campaigns') }}

),

meta_account_currencies as (

    select account_id, currency
    from (
        select
            account_id,
            currency,
            row_number() over (partition by account_id order by report_date desc) as recency
        from {{ ref('stg_meta__campaign_days') }}
    ) as ranked
    where recency = 1

),

meta as (

    select
        'meta' as platform,
        campaigns.account_id,
        campaigns.campaign_id,
        campaigns.campaign_name,
        'paid_social' as channel,
        {{ ad_account_timezone("'meta'", 'campaigns.account_id') }} as account_timezone,
        meta_account_currencies.currency
    from {{ ref('stg_meta__campaigns') }} as campaigns
    left join meta_account_currencies
        on meta_account_currencies.account_id = campaigns.account_id

),

linkedin as (

    select
        'linkedin' as platform,
        campaigns.account_id,
        campaigns.campaign_id,
        campaigns.campaign_name,
        'paid_social' as channel,
        {{ ad_account_timezone("'linkedin'", 'campaigns.account_id') }} as account_timezone,
        accounts.currency
    from {{ ref('stg_linkedin__campaigns') }} as campaigns
    left join {{ ref('stg_linkedin__ad_accounts') }} as accounts
        on accounts.account_id = campaigns.account_id

),

microsoft_ads_latest as (

    select *
    from (
        select
            account_id,
            campaign_id,
            campaign_name,
            campaign_type,
            currency,
            row_number() over (
                partition by account_id, campaign_id order by report_date desc
            ) as recency
        from {{ ref('stg_microsoft_ads__campaign_days') }}
    ) as ranked
    where recency = 1

),

microsoft_ads as (

    select
        'microsoft_ads' as platform,
        account_id,
        campaign_id,
        campaign_name,
        case when lower(campaign_type) = 'audience' then 'display' else 'paid_search' end as channel,
        {{ ad_account_timezone("'microsoft_ads'", 'account_id') }} as account_timezone,
        currency
    from microsoft_ads_latest

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
    platform,
    campaign_id,
    platform || ':' || campaign_id as campaign_key,
    campaign_name,
    channel,
    account_id,
    account_timezone,
    currency
from unioned
