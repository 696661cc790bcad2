{#
    Opportunities of every enabled CRM (the union of the staging models that hold
    `opportunities` in the source registry, warehouse/sources.yml; a source leaves out its
    deleted ones) with their amount as of the run converted to `reporting_currency` at the
    rate of the date of `created_at` in `reporting_timezone`. `is_won` and `is_closed` are the
    source's flags as of the run; `is_lost` = closed and not won. `closed_at` is the close
    instant (null while open) and `days_to_close` = `closed_at - created_at` in exact days.
    `closes_before_creation`: a close instant before the creation, a bad record the quarantine
    lists (rule `close_after_creation`) that stays in pipeline, attribution and lead to booking
    but is left out of opportunity velocity. An opportunity without an amount counts with
    amount 0. With no CRM enabled, empty: no opportunity, no pipeline and no attribution.
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
        ('closed_at', 'timestamptz'),
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
        is_won,
        closed_at
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
    dated.is_won,
    dated.is_closed and not dated.is_won as is_lost,
    dated.closed_at,
    {{ days_between('dated.created_at', 'dated.closed_at') }} as days_to_close,
    coalesce(dated.closed_at < dated.created_at, false) as closes_before_creation
from dated
{{ fx_rate_joins('dated.currency', 'dated.created_date') }}
