{#
    Opportunities of every enabled CRM (the union of the staging models that hold
    `opportunities` in the source registry, warehouse/sources.yml; a source leaves out its
    deleted ones) with their amount as of the run converted to `reporting_currency` at the
    rate of the date of `created_at` in `reporting_timezone`. `is_won` is the source's won
    flag as of the run. An opportunity without an amount counts with amount 0. With no CRM
    enabled, empty: no opportunity, no pipeline and no attribution.
#}

with

opportunities as (

    {{ union_sources('opportunities', [
        ('opportunity_id', 'string'),
        ('source_system', 'string'),
        ('opportunity_name', 'string'),
        ('created_at', 'timestamptz'),
        ('currency', 'string'),
        ('amount', 'double'),
        ('is_closed', 'boolean'),
        ('is_won', 'boolean'),
    ]) }}

),

dated as (

    select
        opportunity_id,
        source_system,
        opportunity_name,
        created_at,
        {{ to_reporting_date('created_at') }} as created_date,
        currency,
        coalesce(amount, 0) as amount,
        is_closed,
        is_won
    from opportunities

)

select
    dated.opportunity_id,
    dated.source_system,
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
