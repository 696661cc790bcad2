{#
    Ad spend and the platforms' conversion value in `reporting_currency`, converted at the rate
    of the account-local reporting day (the latest rate published on or before it, through the
    FX base).
#}

with

spend as (

    select * from {{ ref('int_ad_spend_unioned') }}

)

select
    spend.report_date,
    spend.platform,
    spend.account_id,
    spend.campaign_id,
    spend.campaign_key,
    spend.channel,
    spend.account_timezone,
    spend.currency,
    spend.impressions,
    spend.clicks,
    spend.cost as spend_original,
    {{ fx_factor('spend.currency') }} as fx_rate,
    {{ fx_convert('spend.cost', 'spend.currency') }} as spend,
    spend.conversions,
    spend.conversion_value as conversion_value_original,
    {{ fx_convert('spend.conversion_value', 'spend.currency') }} as conversion_value
from spend
{{ fx_rate_joins('spend.currency', 'spend.report_date') }}
