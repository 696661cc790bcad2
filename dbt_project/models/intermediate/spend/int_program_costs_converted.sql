{#
    Marketo program period costs, one row per cost, dated by the cost's own date (the first of
    the program's month, even when it is not yet past), converted to `reporting_currency` at
    that day's rate. Channel: the program channel through `channel_rules` (Webinar, Tradeshow
    -> events; Email Send -> email; nothing matching -> direct, as for touches). Currency: the
    Marketo instance's (`marketo_currency`, USD; Marketo reports program costs without one).
#}

with

programs as (

    select * from {{ ref('stg_marketo__programs') }}

),

costs as (

    select * from {{ ref('stg_marketo__program_costs') }}

),

program_fields as (

    select
        program_id as subject_id,
        'program_channel' as match_field,
        program_channel as field_value
    from programs

),

program_channels as (

    {{ first_matching_channel_rule('program_fields') }}

),

costed as (

    select
        costs.cost_date,
        costs.program_id,
        costs.cost_seq,
        programs.program_name,
        programs.program_channel,
        coalesce(program_channels.channel, 'direct') as channel,
        '{{ var("marketo_currency", "USD") }}' as currency,
        costs.cost
    from costs
    inner join programs
        on programs.program_id = costs.program_id
    left join program_channels
        on program_channels.subject_id = costs.program_id

)

select
    costed.cost_date,
    'marketo' as platform,
    'marketo' as account_id,
    cast(costed.program_id as {{ dbt.type_string() }}) as campaign_id,
    'marketo:' || cast(costed.program_id as {{ dbt.type_string() }}) as campaign_key,
    costed.cost_seq,
    costed.program_name,
    costed.program_channel,
    costed.channel,
    costed.currency,
    costed.cost as spend_original,
    {{ fx_factor('costed.currency') }} as fx_rate,
    {{ fx_convert('costed.cost', 'costed.currency') }} as spend
from costed
{{ fx_rate_joins('costed.currency', 'costed.cost_date') }}
