{#
    Meta's own conversions of a campaign-day: the `actions` (counts) and `action_values` (their
    value) of the action types in var `meta_conversion_action_types`, at Meta's default
    attribution window (`value`). dlt loads both lists as nested tables of the day's row; a
    table is absent until Meta has sent one entry, and then counts nothing.
#}
{%- set action_types = var('meta_conversion_action_types') %}

with

source as (

    select * from {{ source('meta', 'campaign_insights_daily') }}
    -- records that fail a rule of this table (the `record_rules:` of the source in
    -- warehouse/sources.yml) are in quarantine_records instead
    where {{ passes_record_rules('meta', 'campaign_insights_daily') }}

),
{%- set parent = source('meta', 'campaign_insights_daily') %}
{% for name, table in [('conversions', 'actions'), ('conversion_values', 'action_values')] %}
{#- dlt's nested table of the day's list: part of the same source table, so not a source of its own #}
{%- set relation = api.Relation.create(
    database=parent.database, schema=parent.schema,
    identifier=parent.identifier ~ '__' ~ table) %}
{{ name }} as (

    {%- if execute and load_relation(relation) is none %}
    select cast(null as {{ dbt.type_string() }}) as parent_id, 0.0 as total
    where 1 = 0
    {%- else %}
    select _dlt_parent_id as parent_id, sum(cast(value as double precision)) as total
    from {{ relation }}
    where action_type in (
        {%- for t in action_types %}'{{ t }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    )
    group by _dlt_parent_id
    {%- endif %}

),
{% endfor %}
renamed as (

    select
        -- ids: Meta names an ad account `act_<account_id>`; we keep that form everywhere
        'act_' || cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- dimensions
        account_name,
        account_currency as currency,
        campaign_name,

        -- numerics
        impressions,
        clicks,
        cast(spend as double precision) as cost,
        coalesce(conversions.total, 0) as conversions,
        coalesce(conversion_values.total, 0) as conversion_value,

        -- dates: the account-local day (time_increment=1, so date_start = date_stop)
        cast(date_start as date) as report_date

    from source
    left join conversions on conversions.parent_id = source._dlt_id
    left join conversion_values on conversion_values.parent_id = source._dlt_id

)

select * from renamed
