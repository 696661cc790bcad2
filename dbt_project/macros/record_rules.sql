{#
    The record rules: what a raw record must satisfy to be passed on to staging.

    One list for the whole project, read by two sides that must agree:
    * each staging model keeps only the records of its raw table that pass (`passes_record_rules`);
    * `quarantine_records` lists every record that fails, with its source, table, id, the first
      rule it fails, that rule's severity and what is wrong.
    So for every raw table, rows loaded = rows passed on + rows quarantined (a test checks it).

    Severity: `blocking` rules guard money that cannot be trusted (a negative cost, a currency
    with no rate): one such record stops the publication of the certified tables (the Dagster
    check `no_blocking_bad_records`). `warning` rules drop a record that cannot be used as it is
    and publish the rest. Kinds corrected by a documented rule instead of quarantined are passed on and
    listed in `quarantine_records` with action `corrected`: an email that is not an address
    (the person is keyed by its source id instead, `normalized_email`), lifecycle stage dates
    out of order (the monotone stage rule) and a business day with no FX rate (the latest rate
    before it).

    A rule's `when` is a SQL condition on the raw table's columns that is true for a bad record.
    Rules are tried in order: a record is quarantined once, under the first rule it fails.
#}

{% macro known_currency(column) -%}
    ({{ column }} = '{{ var("fx_base_currency") }}'
     or {{ column }} in (select currency from {{ source('fx', 'rates') }}))
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

{% macro ad_day_rules(cost, currency, day, timezone) -%}
    {%- set rules = [
        {'rule': 'spend_not_negative', 'severity': 'blocking', 'when': cost ~ ' < 0',
         'detail': "'" ~ cost ~ " is ' || cast(" ~ cost ~ " as " ~ dbt.type_string() ~ ")"},
        {'rule': 'future_date', 'severity': 'warning',
         'when': 'cast(' ~ day ~ ' as date) > ' ~ local_today(timezone),
         'detail': "'dated ' || cast(" ~ day ~ " as " ~ dbt.type_string() ~ ") || ', after the account''s today'"},
    ] -%}
    {%- if currency -%}
        {%- do rules.insert(1, {'rule': 'currency_known', 'severity': 'blocking',
            'when': 'not ' ~ known_currency(currency),
            'detail': "'currency ' || coalesce(" ~ currency ~ ", 'null') || ' has no FX rate'"}) -%}
    {%- endif -%}
    {{ return(rules) }}
{%- endmacro %}

{% macro record_rules(source_name, table_name) -%}
    {%- set s = dbt.type_string() -%}
    {%- set rules = {
        ('google_ads', 'campaign_daily'): {
            'id': "cast(campaign_id as " ~ s ~ ") || ':' || cast(date as " ~ s ~ ")",
            'rules': ad_day_rules('cost_micros', 'currency_code', 'date', 'time_zone'),
        },
        ('meta', 'campaign_insights_daily'): {
            'id': "cast(campaign_id as " ~ s ~ ") || ':' || cast(date_start as " ~ s ~ ")",
            'rules': ad_day_rules('spend', 'account_currency', 'date_start',
                                  ad_account_timezone("'meta'", "'act_' || cast(account_id as " ~ s ~ ")")),
        },
        ('linkedin', 'campaign_analytics_daily'): {
            'id': "cast(campaign_id as " ~ s ~ ") || ':' || cast(date as " ~ s ~ ")",
            'rules': ad_day_rules('cost_in_local_currency', 'currency', 'date',
                                  ad_account_timezone("'linkedin'", "cast(account_id as " ~ s ~ ")")),
        },
        ('microsoft_ads', 'campaign_performance_daily'): {
            'id': "cast(campaign_id as " ~ s ~ ") || ':' || cast(date as " ~ s ~ ")",
            'rules': ad_day_rules('spend', 'currency_code', 'date',
                                  ad_account_timezone("'microsoft_ads'", "cast(account_id as " ~ s ~ ")")),
        },
        ('hubspot', 'contacts'): {
            'id': "cast(id as " ~ s ~ ")",
            'rules': [
                {'rule': 'future_date', 'severity': 'warning',
                 'when': 'createdate > ' ~ warehouse_now(),
                 'detail': "'createdate ' || cast(createdate as " ~ s ~ ") || ' is in the future'"},
            ],
        },
        ('hubspot', 'deals'): {
            'id': "cast(id as " ~ s ~ ")",
            'rules': [
                {'rule': 'currency_known', 'severity': 'blocking',
                 'when': 'deal_currency_code is not null and not ' ~ known_currency('deal_currency_code'),
                 'detail': "'currency ' || deal_currency_code || ' has no FX rate'"},
            ],
        },
        ('hubspot', 'deal_contacts'): {
            'id': "cast(deal_id as " ~ s ~ ")",
            'rules': [
                {'rule': 'association_target_exists', 'severity': 'warning',
                 'when': "cast(contact_id as " ~ s ~ ") not in (select cast(id as " ~ s ~ ") from "
                         ~ source('hubspot', 'contacts') ~ " union all select trim("
                         ~ split_to_rows('hs_merged_object_ids', ';') ~ ") from "
                         ~ source('hubspot', 'contacts') ~ " where hs_merged_object_ids is not null)",
                 'detail': "'associated with contact ' || cast(contact_id as " ~ s ~ ") || ', which does not exist'"},
            ],
        },
        ('marketo', 'activities'): {
            'id': "coalesce(cast(id as " ~ s ~ "), 'marketoGUID ' || marketo_guid)",
            'rules': [
                {'rule': 'id_not_null', 'severity': 'warning', 'when': 'id is null',
                 'detail': "'activity ' || marketo_guid || ' has a null id'"},
                {'rule': 'future_date', 'severity': 'warning',
                 'when': 'activity_date > ' ~ warehouse_now(),
                 'detail': "'activityDate ' || cast(activity_date as " ~ s ~ ") || ' is in the future'"},
            ],
        },
    } -%}
    {{ return(rules.get((source_name, table_name), {'id': 'null', 'rules': []})) }}
{%- endmacro %}

{# the raw tables that have rules, as (source, table) pairs #}
{% macro ruled_tables() -%}
    {{ return([
        ('google_ads', 'campaign_daily'), ('meta', 'campaign_insights_daily'),
        ('linkedin', 'campaign_analytics_daily'), ('microsoft_ads', 'campaign_performance_daily'),
        ('hubspot', 'contacts'), ('hubspot', 'deals'), ('hubspot', 'deal_contacts'),
        ('marketo', 'activities'),
    ]) }}
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
