{#
    Every raw record that was not passed on as it arrived, with the source, table, record id and
    rule that name it (docs/certified_tables.md, Bad input):

    * action `quarantined`: the record failed a rule of macros/record_rules.sql and no staging
      model reads it; or dlt diverted it at load time into the source's `_quarantine` table
      (a record with no primary key cannot be merged, ingestion/quarantine.py);
    * action `corrected`: the record was passed on and a documented rule corrected it.

    For each raw table, rows loaded = rows staging reads + rows quarantined here.
#}
{%- set s = dbt.type_string() -%}
{%- set stages = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead',
                  'opportunity', 'customer', 'evangelist'] -%}
{%- set pairs = [] -%}
{%- for earlier in stages -%}{%- for later in stages[loop.index:] -%}
    {%- do pairs.append('coalesce(hs_lifecyclestage_' ~ earlier ~ '_date > hs_lifecyclestage_' ~ later ~ '_date, false)') -%}
{%- endfor -%}{%- endfor -%}

with

{% for source_name, table_name in ruled_tables() %}
{{ source_name }}__{{ table_name }} as (

    select
        '{{ source_name }}' as source,
        '{{ table_name }}' as table_name,
        {{ record_rules(source_name, table_name)['id'] }} as record_id,
        {{ first_failed_rule(source_name, table_name, 'rule') }} as rule,
        {{ first_failed_rule(source_name, table_name, 'severity') }} as severity,
        'quarantined' as action,
        {{ first_failed_rule(source_name, table_name, 'detail') }} as detail,
        _dlt_load_id as load_id
    from {{ source(source_name, table_name) }}
    where not ({{ passes_record_rules(source_name, table_name) }})

),
{% endfor %}

diverted_at_load as (

    {%- set diverted = [] -%}
    {%- if execute -%}
        {%- for source_name in ['hubspot', 'marketo', 'google_ads', 'meta', 'linkedin', 'microsoft_ads', 'fx'] -%}
            {%- set relation = adapter.get_relation(database=target.database, schema='raw_' ~ source_name, identifier='_quarantine') -%}
            {%- if relation is not none -%}{%- do diverted.append(relation) -%}{%- endif -%}
        {%- endfor -%}
    {%- endif %}
    {%- for relation in diverted %}
    select
        cast(source as {{ s }}) as source,
        cast(table_name as {{ s }}) as table_name,
        cast(record_id as {{ s }}) as record_id,
        cast(rule as {{ s }}) as rule,
        'warning' as severity,
        'quarantined' as action,
        cast(detail as {{ s }}) as detail,
        _dlt_load_id as load_id
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if diverted | length == 0 %}
    select
        cast(null as {{ s }}) as source, cast(null as {{ s }}) as table_name,
        cast(null as {{ s }}) as record_id, cast(null as {{ s }}) as rule,
        cast(null as {{ s }}) as severity, cast(null as {{ s }}) as action,
        cast(null as {{ s }}) as detail, cast(null as {{ s }}) as load_id
    where 1 = 0
    {%- endif %}

),

malformed_emails as (

    select
        'hubspot' as source, 'contacts' as table_name, cast(id as {{ s }}) as record_id,
        email, _dlt_load_id as load_id
    from {{ source('hubspot', 'contacts') }}
    where {{ email_is_malformed('email') }}
    union all
    select
        'marketo' as source, 'leads' as table_name, cast(id as {{ s }}) as record_id,
        email, _dlt_load_id as load_id
    from {{ source('marketo', 'leads') }}
    where {{ email_is_malformed('email') }}

),

stages_out_of_order as (

    select cast(id as {{ s }}) as record_id, _dlt_load_id as load_id
    from {{ source('hubspot', 'contacts') }}
    where {{ passes_record_rules('hubspot', 'contacts') }}
      and ({{ pairs | join(' or ') }})

),

rate_days as (

    select distinct cast(date as date) as day from {{ source('fx', 'rates') }}

),

missing_fx_days as (

    {#- a weekday inside the published range with no rate that is not a TARGET closing day -#}
    select days.day
    from (
        select distinct report_date as day
        from {{ ref('stg_google_ads__campaign_days') }}
        union select distinct report_date from {{ ref('stg_meta__campaign_days') }}
        union select distinct report_date from {{ ref('stg_linkedin__campaign_days') }}
        union select distinct report_date from {{ ref('stg_microsoft_ads__campaign_days') }}
    ) as days
    where {{ day_of_week('days.day') }} between 1 and 5
      and days.day > (select min(day) from rate_days)
      and days.day < (select max(day) from rate_days)
      and days.day not in (select day from rate_days)
      and days.day not in (select cast(day as date) from {{ ref('target_closing_days') }})

),

corrected as (

    select
        source, table_name, record_id,
        'email_is_an_address' as rule, 'warning' as severity, 'corrected' as action,
        'email ' || email || ' is not an address: the person is keyed by its source id' as detail,
        load_id
    from malformed_emails
    union all
    select
        'hubspot', 'contacts', record_id,
        'stage_dates_in_order', 'warning', 'corrected',
        'lifecycle stage dates out of order: the monotone stage rule keeps the earliest path',
        load_id
    from stages_out_of_order
    union all
    select
        'fx', 'rates', cast(day as {{ s }}),
        'fx_rate_every_business_day', 'warning', 'corrected',
        'no rate published for business day ' || cast(day as {{ s }})
            || ': the latest earlier rate is used',
        null
    from missing_fx_days

),

unioned as (

    {% for source_name, table_name in ruled_tables() %}
    select * from {{ source_name }}__{{ table_name }}
    union all
    {% endfor %}
    select * from diverted_at_load
    union all
    select * from corrected

)

select
    cast(source as {{ s }}) as source,
    cast(table_name as {{ s }}) as table_name,
    cast(record_id as {{ s }}) as record_id,
    cast(rule as {{ s }}) as rule,
    cast(severity as {{ s }}) as severity,
    cast(action as {{ s }}) as action,
    cast(detail as {{ s }}) as detail,
    cast(load_id as {{ s }}) as load_id
from unioned
