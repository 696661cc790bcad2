{#
    Microsoft Ads campaigns as the shared spend models read them (registry entity
    `ad_campaigns`): the source loads no campaign table, so each campaign is its latest report
    row (campaign name, type, account name, currency). Channel: search -> paid_search, `Audience` campaigns (the
    display network) -> display; the time zone is the `ad_account_timezones` setting (the
    report header's zone does not reach the warehouse).
#}
with

latest as (

    select *
    from (
        select
            account_id,
            account_name,
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

)

select
    'microsoft_ads' as platform,
    campaign_id,
    campaign_name,
    case when lower(campaign_type) = 'audience' then 'display' else 'paid_search' end as channel,
    account_id,
    account_name,
    {{ ad_account_timezone('microsoft_ads', 'latest.account_id') }} as account_timezone,
    currency
from latest
