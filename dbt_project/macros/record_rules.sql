{#
    The record rules: what a raw record must satisfy to be passed on to staging.

    Each source declares the rules of its raw tables as data, in its registry entry
    (warehouse/sources.yml, `record_rules:`; dbt reads the generated copy
    `source_registry()[name]['record_rules']`). The kinds of rule are the macros below, so adding a
    source adds its rules in its entry only. Two sides read the rules and must agree:
    * each staging model keeps only the records of its raw table that pass (`passes_record_rules`);
    * each source's `stg_<name>__quarantined` (`source_quarantine`, at the end of this file),
      unioned by `quarantine_records`, lists every record that fails, with its source, table,
      id, the first rule it fails, that rule's severity and what is wrong.
    So for every raw table, rows loaded = rows passed on + rows quarantined (a test checks it).

    Severity: `blocking` rules guard money that cannot be trusted (a negative cost, a currency
    with no rate): one such record stops the publication of the certified tables (the Dagster
    check `no_blocking_bad_records`). `warning` rules drop a record that cannot be used as it is
    and publish the rest. Kinds corrected by a documented rule instead of quarantined are passed on and
    listed in `quarantine_records` with action `corrected` (an entry's `corrections:`): an email
    that is not an address (the person is keyed by its source id instead, `normalized_email`),
    lifecycle stage dates out of order (the monotone stage rule) and a business day with no FX
    rate (the latest rate before it).

    A rule's `when` is a SQL condition on the raw table's columns that is true for a bad record.
    Rules are tried in order: a record is quarantined once, under the first rule it fails.

    An entry, per raw table:

        record_rules:
          <table>:
            id: [<column>, ...]            # the record id: the columns joined with ':'
            id_fallback: {column: <c>, label: <text>}   # optional: '<label> <c>' when the id is null
            rules:                         # quarantine, first failed rule wins
              - {kind: <kind>, <parameter>: <value>, ...}
            corrections:                   # passed on, listed as corrected (every one that applies)
              - {kind: <kind>, ...}

    Any rule may also set `severity:`, and a kind of one rule its name (`rule:`). Parameters
    name columns of the raw table. The kinds, each a macro `record_rule_<kind>(source_name,
    table_name, p)` returning its rules (add one there and to `record_rule_kind`):

    * `ad_day` {cost [, cost_scale], currency, day, timezone | account [, account_prefix]}: an
      ad platform's daily row: `spend_not_negative` (cost < 0, blocking), `money_plausible`
      (blocking), `currency_known` (blocking, when `currency` is given), `future_date`
      (warning: `day` after the account's local today; the zone is the `timezone` column, or
      the `ad_account_timezones` setting of the account `account_prefix || account`) and
      `date_plausible` (warning).
    * `spend_not_negative` {column}; blocking.
    * `currency_known` {column}: a non-null currency that is neither the reporting currency nor,
      with an FX source enabled, the FX base or a currency it publishes; blocking.
    * `future_date` {column [, label] | column, timezone | account [, account_prefix]}: a
      timestamp after now (`warehouse_now`), or a local day after the account's today; warning.
    * `id_not_null` {column, record, named_by}: a null id; warning.
    * `association_target_exists` {column, target, target_id [, target_merged_ids, separator],
      label}: an association to a record of the source's table `target` that does not exist
      (neither a `target_id` nor one of the ids merged into a target); warning.
    * `money_plausible` {column [, currency] [, scale]}: an amount that is not a finite number
      (NaN, infinity) or whose absolute value, divided by `scale` (e.g. 1000000 for micros),
      is beyond its currency's ceiling (var `plausible_money_ceilings`: one per currency, else
      `default`); blocking. A deal of 1e29 or a day of spend of a billion is a broken record,
      not a figure to publish.
    * `date_plausible` {column | columns [, label]}: a date or timestamp before the floor (var
      `plausible_date_floor`, default 2000-01-01): a placeholder such as 0001-01-01, which
      would stretch every chart back to year 1; one rule per column; warning.
    * `condition` {rule, severity, when, detail}: a rule written as SQL.
    Corrections:
    * `email_is_an_address` {column}: an email that is not an address.
    * `stage_dates_in_order` {columns}: stage dates (in funnel order) with a later stage before
      an earlier one.
    * `close_after_creation` {created, closed [, is_closed, closed_is_date]}: a closed
      opportunity (the flag column `is_closed` true, when given) whose close is before its
      creation; `closed_is_date: true` when the close is a date (METRICS.md: taken as its
      midnight in `reporting_timezone`, so a close on the creation day is before it). Kept and listed,
      never removed: METRICS.md counts it in pipeline, attribution and lead to booking and
      leaves it out of opportunity velocity only (int_opportunities_converted
      `closes_before_creation`); the rules above would keep it out of staging. Warning.
    * `fx_rate_every_business_day` {day [, closing_days]}: a table-level correction of an FX
      source: a weekday with spend (the enabled ad platforms' days), inside the published range,
      without a rate, that is not a closing day (a seed of days).
#}

{# a currency the warehouse can convert: the reporting one, or the FX base / a published one #}
{% macro known_currency(column) -%}
    {%- set fx = sources_holding('fx_rates') -%}
    ({{ column }} = '{{ var("reporting_currency") }}'
    {%- if fx | length > 0 %}
     or {{ column }} = '{{ var("fx_base_currency") }}'
     or {{ column }} in (
        {%- for _, model in fx %}select currency from {{ ref(model) }}{% if not loop.last %} union all {% endif %}{% endfor -%}
     )
    {%- endif -%})
{%- endmacro %}

{# the instant records are judged against: the `as_of` var (the sandbox's clock), else now #}
{% macro warehouse_now() -%}
    {%- set as_of = var('as_of', env_var('WAREHOUSE_AS_OF', '')) -%}
    {%- if as_of -%}cast('{{ as_of }}' as {{ dbt.type_timestamp() }}){%- else -%}{{ dbt.current_timestamp() }}{%- endif -%}
{%- endmacro %}

{# the calendar date of now in an account's time zone: a day after it has not happened yet #}
{% macro local_today(timezone) -%}
    cast((cast({{ warehouse_now() }} as timestamp with time zone) at time zone {{ timezone }}) as date)
{%- endmacro %}

{% macro email_is_malformed(column) -%}
    ({{ column }} is not null and trim({{ column }}) <> ''
     and not {{ regex_full_match('lower(trim(' ~ column ~ '))', '[^@\\s]+@[^@\\s]+[.][^@\\s]+') }})
{%- endmacro %}

{% macro _as_text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}

{# --- the kinds ----------------------------------------------------------------------------- #}

{% macro record_rule_spend_not_negative(source_name, table_name, p) -%}
    {%- set c = p['column'] -%}
    {{ return([{'rule': 'spend_not_negative', 'severity': 'blocking', 'when': c ~ ' < 0',
                'detail': "'" ~ c ~ " is ' || " ~ _as_text(c)}]) }}
{%- endmacro %}

{% macro record_rule_currency_known(source_name, table_name, p) -%}
    {%- set c = p['column'] -%}
    {%- if sources_holding('fx_rates') | length > 0 -%}
        {%- set detail = "'currency ' || coalesce(" ~ c ~ ", 'null') || ' has no FX rate'" -%}
    {%- else -%}
        {%- set detail = "'currency ' || coalesce(" ~ c ~ ", 'null') || ' is not the reporting currency ("
                         ~ var('reporting_currency') ~ ") and no FX source is enabled'" -%}
    {%- endif -%}
    {{ return([{'rule': 'currency_known', 'severity': 'blocking',
                'when': c ~ ' is not null and not ' ~ known_currency(c), 'detail': detail}]) }}
{%- endmacro %}

{# the SQL of the time zone a rule judges a local day in: a column, or the account's setting #}
{% macro _rule_timezone(source_name, p) -%}
    {%- if p.get('timezone') -%}
        {{ return(p['timezone']) }}
    {%- else -%}
        {%- set account = _as_text(p['account']) -%}
        {%- if p.get('account_prefix') -%}{%- set account = "'" ~ p['account_prefix'] ~ "' || " ~ account -%}{%- endif -%}
        {{ return(ad_account_timezone(source_name, account)) }}
    {%- endif -%}
{%- endmacro %}

{% macro record_rule_future_date(source_name, table_name, p) -%}
    {%- set c = p['column'] -%}
    {%- if p.get('timezone') or p.get('account') -%}
        {{ return([{'rule': 'future_date', 'severity': 'warning',
                    'when': 'cast(' ~ c ~ ' as date) > ' ~ local_today(_rule_timezone(source_name, p)),
                    'detail': "'dated ' || " ~ _as_text(c) ~ " || ', after the account''s today'"}]) }}
    {%- else -%}
        {{ return([{'rule': 'future_date', 'severity': 'warning',
                    'when': c ~ ' > ' ~ warehouse_now(),
                    'detail': "'" ~ p.get('label', c) ~ " ' || " ~ _as_text(c) ~ " || ' is in the future'"}]) }}
    {%- endif -%}
{%- endmacro %}

{# the ceiling of one amount in `currency` (a SQL expression; none: the default ceiling) #}
{% macro money_ceiling(currency) -%}
    {%- set ceilings = var('plausible_money_ceilings') -%}
    {%- set default = ceilings.get('default', 1000000000) -%}
    {%- set others = [] -%}
    {%- for code, ceiling in ceilings.items() if code != 'default' -%}{%- do others.append((code, ceiling)) -%}{%- endfor -%}
    {%- if currency is none or others | length == 0 -%}
        cast({{ default }} as double precision)
    {%- else -%}
        cast(case {{ currency }}{% for code, ceiling in others %} when '{{ code }}' then {{ ceiling }}{% endfor %} else {{ default }} end as double precision)
    {%- endif -%}
{%- endmacro %}

{% macro record_rule_money_plausible(source_name, table_name, p) -%}
    {%- set amount = 'cast(' ~ p['column'] ~ ' as double precision)' -%}
    {%- if p.get('scale') and p['scale'] != 1 -%}{%- set amount = amount ~ ' / ' ~ p['scale'] -%}{%- endif -%}
    {%- set currency = p.get('currency') -%}
    {%- set ceiling = money_ceiling(currency) -%}
    {%- set not_finite = amount ~ " in (cast('NaN' as double precision), cast('Infinity' as double precision),"
                         ~ " cast('-Infinity' as double precision))" -%}
    {%- set in_currency = " || ' ' || coalesce(" ~ currency ~ ", '')" if currency else "" -%}
    {{ return([{'rule': 'money_plausible', 'severity': 'blocking',
                'when': p['column'] ~ ' is not null and (' ~ not_finite ~ ' or abs(' ~ amount ~ ') > ' ~ ceiling ~ ')',
                'detail': "'" ~ p.get('label', p['column']) ~ " ' || " ~ _as_text(amount) ~ in_currency
                          ~ " || ' is not a finite amount below the ceiling ' || " ~ _as_text(ceiling)
                          ~ " || ' (var plausible_money_ceilings)'"}]) }}
{%- endmacro %}

{% macro record_rule_date_plausible(source_name, table_name, p) -%}
    {%- set floor = var('plausible_date_floor', '2000-01-01') -%}
    {%- set rules = [] -%}
    {%- for c in p.get('columns') or [p['column']] -%}
        {%- do rules.append({'rule': 'date_plausible', 'severity': 'warning',
                             'when': 'cast(' ~ c ~ " as date) < cast('" ~ floor ~ "' as date)",
                             'detail': "'" ~ p.get('label', c) ~ " ' || " ~ _as_text(c)
                                       ~ " || ' is before " ~ floor ~ " (var plausible_date_floor)'"}) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{% macro record_rule_ad_day(source_name, table_name, p) -%}
    {%- set rules = record_rule_spend_not_negative(source_name, table_name, {'column': p['cost']}) -%}
    {%- set rules = rules + record_rule_money_plausible(source_name, table_name,
        {'column': p['cost'], 'currency': p.get('currency'), 'scale': p.get('cost_scale', 1)}) -%}
    {%- if p.get('currency') -%}
        {%- set rules = rules + record_rule_currency_known(source_name, table_name, {'column': p['currency']}) -%}
    {%- endif -%}
    {%- set day = {'column': p['day'], 'timezone': p.get('timezone'), 'account': p.get('account'),
                   'account_prefix': p.get('account_prefix')} -%}
    {%- set rules = rules + record_rule_future_date(source_name, table_name, day) -%}
    {{ return(rules + record_rule_date_plausible(source_name, table_name, {'column': p['day']})) }}
{%- endmacro %}

{% macro record_rule_id_not_null(source_name, table_name, p) -%}
    {%- set c = p['column'] -%}
    {{ return([{'rule': 'id_not_null', 'severity': 'warning', 'when': c ~ ' is null',
                'detail': "'" ~ p.get('record', 'record') ~ " ' || " ~ _as_text(p['named_by'])
                          ~ " || ' has a null " ~ c ~ "'"}]) }}
{%- endmacro %}

{% macro record_rule_association_target_exists(source_name, table_name, p) -%}
    {%- set target = source(source_name, p['target']) -%}
    {%- set ids = 'select ' ~ _as_text(p['target_id']) ~ ' from ' ~ target -%}
    {%- if p.get('target_merged_ids') -%}
        {%- set merged = p['target_merged_ids'] -%}
        {%- set ids = ids ~ ' union all select trim(' ~ split_to_rows(merged, p.get('separator', ';'))
                      ~ ') from ' ~ target ~ ' where ' ~ merged ~ ' is not null' -%}
    {%- endif -%}
    {{ return([{'rule': 'association_target_exists', 'severity': 'warning',
                'when': _as_text(p['column']) ~ ' not in (' ~ ids ~ ')',
                'detail': "'associated with " ~ p.get('label', p['target']) ~ " ' || " ~ _as_text(p['column'])
                          ~ " || ', which does not exist'"}]) }}
{%- endmacro %}

{% macro record_rule_condition(source_name, table_name, p) -%}
    {{ return([{'rule': p['rule'], 'severity': p.get('severity', 'warning'), 'when': p['when'],
                'detail': p.get('detail', "'" ~ p['rule'] ~ "'")}]) }}
{%- endmacro %}

{% macro record_rule_email_is_an_address(source_name, table_name, p) -%}
    {%- set c = p['column'] -%}
    {{ return([{'rule': 'email_is_an_address', 'severity': 'warning', 'when': email_is_malformed(c),
                'detail': "'an email of ' || " ~ _as_text('length(' ~ c ~ ')')
                          ~ " || ' characters is not an address: the person is keyed by its source id'"}]) }}
{%- endmacro %}

{% macro record_rule_stage_dates_in_order(source_name, table_name, p) -%}
    {%- set pairs = [] -%}
    {%- for earlier in p['columns'] -%}{%- for later in p['columns'][loop.index:] -%}
        {%- do pairs.append('coalesce(' ~ earlier ~ ' > ' ~ later ~ ', false)') -%}
    {%- endfor -%}{%- endfor -%}
    {{ return([{'rule': 'stage_dates_in_order', 'severity': 'warning', 'when': '(' ~ pairs | join(' or ') ~ ')',
                'detail': "'lifecycle stage dates out of order: the monotone stage rule keeps the earliest path'"}]) }}
{%- endmacro %}

{% macro record_rule_close_after_creation(source_name, table_name, p) -%}
    {%- set closed = reporting_midnight(p['closed']) if p.get('closed_is_date') else p['closed'] -%}
    {%- set when = closed ~ ' < ' ~ p['created'] -%}
    {%- if p.get('is_closed') -%}{%- set when = 'coalesce(' ~ p['is_closed'] ~ ', false) and ' ~ when -%}{%- endif -%}
    {{ return([{'rule': 'close_after_creation', 'severity': 'warning', 'when': '(' ~ when ~ ')',
                'detail': "'closed ' || " ~ _as_text(p['closed']) ~ " || ', before its creation ' || "
                          ~ _as_text(p['created']) ~ " || ': kept in pipeline, left out of opportunity velocity'"}]) }}
{%- endmacro %}

{#
    A table-level correction: instead of `when`, `rows` is a query of (record_id, detail,
    load_id), one row per day that has no rate and is given the latest earlier one.
#}
{% macro record_rule_fx_rate_every_business_day(source_name, table_name, p) -%}
    {%- set s = dbt.type_string() -%}
    {%- set rates = source(source_name, table_name) -%}
    {%- set rate_day = 'cast(' ~ p['day'] ~ ' as date)' -%}
    {%- set rows -%}
    select
        cast(days.day as {{ s }}) as record_id,
        'no rate published for business day ' || cast(days.day as {{ s }})
            || ': the latest earlier rate is used' as detail,
        cast(null as {{ s }}) as load_id
    from (
        select distinct report_date as day
        from ({{ union_sources('ad_spend', [('report_date', 'date')]) }}) as spend
    ) as days
    where {{ day_of_week('days.day') }} between 1 and 5
      and days.day > (select min({{ rate_day }}) from {{ rates }})
      and days.day < (select max({{ rate_day }}) from {{ rates }})
      and days.day not in (select {{ rate_day }} from {{ rates }} where {{ p['day'] }} is not null)
      {%- if p.get('closing_days') %}
      and days.day not in (select cast(day as date) from {{ ref(p['closing_days']) }})
      {%- endif %}
    {%- endset -%}
    {{ return([{'rule': 'fx_rate_every_business_day', 'severity': 'warning', 'rows': rows}]) }}
{%- endmacro %}

{% macro record_rule_kind(kind, source_name, table_name, p) -%}
    {%- if kind == 'ad_day' -%}{{ return(record_rule_ad_day(source_name, table_name, p)) }}
    {%- elif kind == 'spend_not_negative' -%}{{ return(record_rule_spend_not_negative(source_name, table_name, p)) }}
    {%- elif kind == 'currency_known' -%}{{ return(record_rule_currency_known(source_name, table_name, p)) }}
    {%- elif kind == 'future_date' -%}{{ return(record_rule_future_date(source_name, table_name, p)) }}
    {%- elif kind == 'id_not_null' -%}{{ return(record_rule_id_not_null(source_name, table_name, p)) }}
    {%- elif kind == 'association_target_exists' -%}{{ return(record_rule_association_target_exists(source_name, table_name, p)) }}
    {%- elif kind == 'money_plausible' -%}{{ return(record_rule_money_plausible(source_name, table_name, p)) }}
    {%- elif kind == 'date_plausible' -%}{{ return(record_rule_date_plausible(source_name, table_name, p)) }}
    {%- elif kind == 'condition' -%}{{ return(record_rule_condition(source_name, table_name, p)) }}
    {%- elif kind == 'email_is_an_address' -%}{{ return(record_rule_email_is_an_address(source_name, table_name, p)) }}
    {%- elif kind == 'stage_dates_in_order' -%}{{ return(record_rule_stage_dates_in_order(source_name, table_name, p)) }}
    {%- elif kind == 'close_after_creation' -%}{{ return(record_rule_close_after_creation(source_name, table_name, p)) }}
    {%- elif kind == 'fx_rate_every_business_day' -%}{{ return(record_rule_fx_rate_every_business_day(source_name, table_name, p)) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "warehouse/sources.yml: " ~ source_name ~ "." ~ table_name ~ " has a record rule of unknown kind '"
            ~ kind ~ "' (macros/record_rules.sql lists the kinds)") }}
    {%- endif -%}
{%- endmacro %}

{# --- reading a table's rules -------------------------------------------------------------- #}

{# the registry's `record_rules` entry of one raw table, or none #}
{% macro _record_rules_entry(source_name, table_name) -%}
    {%- set entry = source_registry().get(source_name, {}).get('record_rules', {}) or {} -%}
    {{ return(entry.get(table_name)) }}
{%- endmacro %}

{# the SQL of a table's record id #}
{% macro record_id(source_name, table_name) -%}
    {%- set entry = _record_rules_entry(source_name, table_name) -%}
    {%- if entry is none or not entry.get('id') -%}{{ return('null') }}{%- endif -%}
    {%- set parts = [] -%}
    {%- for column in entry['id'] -%}{%- do parts.append(_as_text(column)) -%}{%- endfor -%}
    {%- set id = parts | join(" || ':' || ") -%}
    {%- if entry.get('id_fallback') -%}
        {%- set fallback = entry['id_fallback'] -%}
        {%- set id = 'coalesce(' ~ id ~ ", '" ~ fallback.get('label', fallback['column']) ~ " ' || "
                     ~ _as_text(fallback['column']) ~ ')' -%}
    {%- endif -%}
    {{ return(id) }}
{%- endmacro %}

{# a list of rule specs of the registry expanded into rules {rule, severity, when | rows, detail} #}
{% macro _expand_rules(source_name, table_name, specs) -%}
    {%- set out = [] -%}
    {%- for spec in specs or [] -%}
        {%- set rules = record_rule_kind(spec['kind'], source_name, table_name, spec) -%}
        {%- for r in rules -%}
            {%- set r = r.copy() -%}
            {%- if spec.get('severity') -%}{%- do r.update({'severity': spec['severity']}) -%}{%- endif -%}
            {#- a kind of one rule may be renamed; a kind of several (ad_day) keeps its names -#}
            {%- if spec.get('rule') and rules | length == 1 -%}{%- do r.update({'rule': spec['rule']}) -%}{%- endif -%}
            {%- do out.append(r) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{# the quarantine rules of a raw table, in order, with its record id #}
{% macro record_rules(source_name, table_name) -%}
    {%- set entry = _record_rules_entry(source_name, table_name) or {} -%}
    {{ return({'id': record_id(source_name, table_name),
               'rules': _expand_rules(source_name, table_name, entry.get('rules'))}) }}
{%- endmacro %}

{# the corrections of a raw table (records passed on and listed as corrected) #}
{% macro record_corrections(source_name, table_name) -%}
    {%- set entry = _record_rules_entry(source_name, table_name) or {} -%}
    {{ return(_expand_rules(source_name, table_name, entry.get('corrections'))) }}
{%- endmacro %}

{# true for a record that passes every rule of its table (for a staging model's `where`) #}
{% macro passes_record_rules(source_name, table_name) -%}
    {%- set rules = record_rules(source_name, table_name)['rules'] -%}
    {%- if rules | length == 0 -%}true{%- else -%}
    not ({% for r in rules %}coalesce({{ r['when'] }}, false){% if not loop.last %} or {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{# the first rule a record fails, or null #}
{% macro first_failed_rule(source_name, table_name, field='rule') -%}
    case
    {%- for r in record_rules(source_name, table_name)['rules'] %}
        when coalesce({{ r['when'] }}, false) then {% if field == 'detail' %}{{ r['detail'] }}{% else %}'{{ r[field] }}'{% endif %}
    {%- endfor %}
    end
{%- endmacro %}

{#
    The records of one source that were not passed on as they arrived, as the quarantine lists
    them (source, table_name, record_id, rule, severity, action, detail, load_id): for each raw
    table with rules, the records that fail one, under the first they fail (`quarantined`);
    for each correction, the records passed on and corrected (`corrected`, every correction that
    applies); and the records dlt diverted at load into the source's `_quarantine` table (a
    record with no primary key, ingestion/quarantine.py). A source's staging model
    `stg_<name>__quarantined` is this macro (registry entity `quarantined`); quarantine_records
    unions them. Empty (typed) when nothing applies.
#}
{% macro source_quarantine(source_name) -%}
{%- set s = dbt.type_string() -%}
{%- set parts = [] -%}
{%- for table_name in (source_registry()[source_name].get('record_rules') or {}) -%}
    {%- set ruled = record_rules(source_name, table_name) -%}
    {%- if ruled['rules'] | length > 0 -%}
        {%- set part -%}
    select
        '{{ table_name }}' as table_name,
        {{ ruled['id'] }} as record_id,
        {{ first_failed_rule(source_name, table_name, 'rule') }} as rule,
        {{ first_failed_rule(source_name, table_name, 'severity') }} as severity,
        'quarantined' as action,
        {{ first_failed_rule(source_name, table_name, 'detail') }} as detail,
        _dlt_load_id as load_id
    from {{ source(source_name, table_name) }}
    where not ({{ passes_record_rules(source_name, table_name) }})
        {%- endset -%}
        {%- do parts.append(part) -%}
    {%- endif -%}
    {%- for correction in record_corrections(source_name, table_name) -%}
        {%- set part -%}
    {%- if correction.get('rows') %}
    select
        '{{ table_name }}' as table_name,
        record_id,
        '{{ correction['rule'] }}' as rule,
        '{{ correction['severity'] }}' as severity,
        'corrected' as action,
        detail,
        load_id
    from ({{ correction['rows'] }}) as corrected
    {%- else %}
    select
        '{{ table_name }}' as table_name,
        {{ ruled['id'] }} as record_id,
        '{{ correction['rule'] }}' as rule,
        '{{ correction['severity'] }}' as severity,
        'corrected' as action,
        {{ correction['detail'] }} as detail,
        _dlt_load_id as load_id
    from {{ source(source_name, table_name) }}
    where {{ passes_record_rules(source_name, table_name) }}
      and coalesce({{ correction['when'] }}, false)
    {%- endif %}
        {%- endset -%}
        {%- do parts.append(part) -%}
    {%- endfor -%}
{%- endfor -%}
{%- if execute -%}
    {%- set diverted = adapter.get_relation(database=target.database, schema='raw_' ~ source_name, identifier='_quarantine') -%}
    {%- if diverted is not none -%}
        {#- ingestion/quarantine.py gives each rule of the load its severity (older rows, from
            before the column, were all null keys: warnings); a record read again by a later
            run (a lookback window) is listed once, with its latest load -#}
        {%- set has_severity = adapter.get_columns_in_relation(diverted)
            | selectattr('name', 'equalto', 'severity') | list | length > 0 -%}
        {%- set part %}
    select
        cast(table_name as {{ s }}) as table_name,
        cast(record_id as {{ s }}) as record_id,
        cast(rule as {{ s }}) as rule,
        {% if has_severity %}cast(coalesce(severity, 'warning') as {{ s }}){% else %}'warning'{% endif %} as severity,
        'quarantined' as action,
        cast(detail as {{ s }}) as detail,
        max(_dlt_load_id) as load_id
    from {{ diverted }}
    group by table_name, record_id, rule, {% if has_severity %}severity, {% endif %}detail, record
        {%- endset -%}
        {%- do parts.append(part) -%}
    {%- endif -%}
{%- endif %}
with

unioned as (
    {%- for part in parts %}
    {{ part }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if parts | length == 0 %}
    select
        cast(null as {{ s }}) as table_name, cast(null as {{ s }}) as record_id,
        cast(null as {{ s }}) as rule, cast(null as {{ s }}) as severity,
        cast(null as {{ s }}) as action, cast(null as {{ s }}) as detail,
        cast(null as {{ s }}) as load_id
    where 1 = 0
    {%- endif %}

)

select
    cast('{{ source_name }}' as {{ s }}) as source,
    cast(table_name as {{ s }}) as table_name,
    cast(record_id as {{ s }}) as record_id,
    cast(rule as {{ s }}) as rule,
    cast(severity as {{ s }}) as severity,
    cast(action as {{ s }}) as action,
    cast(detail as {{ s }}) as detail,
    cast(load_id as {{ s }}) as load_id
from unioned
{%- endmacro %}

