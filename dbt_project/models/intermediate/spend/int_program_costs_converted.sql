{#
    Program costs (costs of marketing programs that are not ad platform days), one row per cost,
    dated by the cost's own date, converted to `reporting_currency` at that day's rate: the union
    of the enabled sources' `campaign_costs` staging models (warehouse/sources.yml), each in its
    source's currency with its channel (both set by the source's staging model, e.g. a program
    channel through `channel_rules`). None enabled, this is empty.
#}

with

costs as (

    {{ union_sources('campaign_costs', [
        ('cost_date', 'date'), ('platform', 'string'), ('account_id', 'string'),
        ('campaign_id', 'string'), ('cost_seq', 'bigint'), ('program_name', 'string'),
        ('program_channel', 'string'), ('channel', 'string'), ('currency', 'string'),
        ('cost', 'double'),
    ]) }}

)

select
    costs.cost_date,
    costs.platform,
    costs.account_id,
    costs.campaign_id,
    costs.platform || ':' || costs.campaign_id as campaign_key,
    costs.cost_seq,
    costs.program_name,
    costs.program_channel,
    costs.channel,
    costs.currency,
    costs.cost as spend_original,
    {{ fx_factor('costs.currency') }} as fx_rate,
    {{ fx_convert('costs.cost', 'costs.currency') }} as spend
from costs
{{ fx_rate_joins('costs.currency', 'costs.cost_date') }}
