{#
    Meta campaigns as the shared spend models read them (registry entity `ad_campaigns`):
    channel paid_social; the account's currency is the one of its latest insights row (the
    campaigns carry none), its time zone the `ad_account_timezones` setting (Meta's
    `timezone_name` does not reach the warehouse).
#}
with

campaigns as (

    select * from {{ ref('stg_meta__campaigns') }}

),

account_currencies as (

    select account_id, currency
    from (
        select
            account_id,
            currency,
            row_number() over (partition by account_id order by report_date desc) as recency
        from {{ ref('stg_meta__campaign_days') }}
    ) as ranked
    where recency = 1

)

select
    'meta' as platform,
    campaigns.campaign_id,
    campaigns.campaign_name,
    'paid_social' as channel,
    campaigns.account_id,
    {{ ad_account_timezone('meta', 'campaigns.account_id') }} as account_timezone,
    account_currencies.currency
from campaigns
left join account_currencies
    on account_currencies.account_id = campaigns.account_id
