{#
    Meta campaigns as the shared spend models read them (registry entity `ad_campaigns`):
    channel paid_social; the account's name and currency are those of its latest insights row
    (the campaigns carry neither), its time zone the `ad_account_timezones` setting (Meta's
    `timezone_name` does not reach the warehouse).
#}
with

campaigns as (

    select * from {{ ref('stg_meta__campaigns') }}

),

accounts as (

    select account_id, account_name, currency
    from (
        select
            account_id,
            account_name,
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
    accounts.account_name,
    {{ ad_account_timezone('meta', 'campaigns.account_id') }} as account_timezone,
    accounts.currency
from campaigns
left join accounts
    on accounts.account_id = campaigns.account_id
