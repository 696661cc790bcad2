{#
    LinkedIn campaigns as the shared spend models read them (registry entity `ad_campaigns`):
    channel paid_social; the name and currency of the campaign's ad account, its time zone the
    `ad_account_timezones` setting (the API does not send one).
#}
with

campaigns as (

    select * from {{ ref('stg_linkedin__campaigns') }}

),

accounts as (

    select * from {{ ref('stg_linkedin__ad_accounts') }}

)

select
    'linkedin' as platform,
    campaigns.campaign_id,
    campaigns.campaign_name,
    'paid_social' as channel,
    campaigns.account_id,
    accounts.account_name,
    {{ ad_account_timezone('linkedin', 'campaigns.account_id') }} as account_timezone,
    accounts.currency
from campaigns
left join accounts
    on accounts.account_id = campaigns.account_id
