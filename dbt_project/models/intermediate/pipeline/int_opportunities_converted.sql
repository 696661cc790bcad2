{#
    Opportunities (HubSpot deals created before the run; archived deals are not
    opportunities) with their amount as of the run converted to `reporting_currency` at the rate
    of the date of `created_at` in `reporting_timezone`. `is_won` is HubSpot's
    `hs_is_closed_won` as of the run. A deal without an amount counts with amount 0.
#}

with

deals as (

    select *
    from {{ ref('stg_hubspot__deals') }}
    where not is_archived

),

dated as (

    select
        deal_id as opportunity_id,
        deal_name as opportunity_name,
        created_at,
        {{ to_reporting_date('created_at') }} as created_date,
        currency,
        coalesce(amount, 0) as amount,
        is_closed,
        is_closed_won as is_won
    from deals

)

select
    dated.opportunity_id,
    dated.opportunity_name,
    dated.created_at,
    dated.created_date,
    {{ month_start('dated.created_date') }} as created_month,
    dated.currency,
    dated.amount,
    {{ fx_factor('dated.currency') }} as fx_rate,
    {{ fx_convert('dated.amount', 'dated.currency') }} as amount_reporting,
    dated.is_closed,
    dated.is_won
from dated
{{ fx_rate_joins('dated.currency', 'dated.created_date') }}
