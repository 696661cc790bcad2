{#
    Macros of the spend, FX and attribution models. Adapter-specific SQL is dispatched here
    (next to cross_database.sql) so the models build on DuckDB and Postgres alike.
#}

{#
    One row per calendar day from `first_day` to `last_day` (both inclusive) for every row of
    `relation`, as column `day`. `relation` is a CTE name holding the two bound columns.
#}
{% macro days_from_to(relation, first_day, last_day) -%}{{ return(adapter.dispatch('days_from_to')(relation, first_day, last_day)) }}{%- endmacro %}
{% macro default__days_from_to(relation, first_day, last_day) -%}
    select {{ relation }}.*, cast(series.day_start as date) as day
    from {{ relation }}
    cross join lateral generate_series(
        cast({{ relation }}.{{ first_day }} as timestamp),
        cast({{ relation }}.{{ last_day }} as timestamp),
        interval '1 day'
    ) as series (day_start)
{%- endmacro %}

{#
    The time zone of an ad account whose platform does not report one with its data (Google Ads
    sends `customer.time_zone` with every row; Meta's `timezone_name`, LinkedIn's and Microsoft
    Ads' report header zone do not reach the warehouse through the current sources). The zones
    are a setting, the seed `ad_account_timezones` (source, account_id as the source's staging
    model keys it, IANA zone); it ships with the sandbox's accounts. An account not listed gets
    a null time zone. `source_name` is the source's name, `account_id` a SQL expression.
#}
{% macro ad_account_timezone(source_name, account_id) -%}
    {#- the seed's columns are renamed so that `account_id` resolves to the caller's row -#}
    (select max(zones.zone_timezone)
     from (
        select
            source as zone_source,
            cast(account_id as {{ dbt.type_string() }}) as zone_account_id,
            timezone as zone_timezone
        from {{ ref('ad_account_timezones') }}
     ) as zones
     where zones.zone_source = '{{ source_name }}'
       and zones.zone_account_id = {{ account_id }})
{%- endmacro %}

{# the attribution models of METRICS.md, in their documented order #}
{% macro attribution_models() -%}
    {{ return(['first_touch', 'last_touch', 'linear', 'position_based', 'w_shaped', 'time_decay']) }}
{%- endmacro %}

{# --- generic tests ------------------------------------------------------------------------- #}

{#
    Every value names an enabled source that holds one of the entities `holding` (keys of the
    registry's `dbt` blocks, e.g. [ad_spend, campaign_costs]): the platform column of the spend
    models, without a list of platforms of its own.
#}
{% test holding_source(model, column_name, holding) %}
    {%- set names = [] -%}
    {%- for what in holding -%}
        {%- for source_name, _ in sources_holding(what) -%}
            {%- if source_name not in names -%}{%- do names.append(source_name) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor %}
    select {{ column_name }} as not_a_holding_source
    from {{ model }}
    where {{ column_name }} is not null
    {%- if names %}
      and {{ column_name }} not in ({% for n in names %}'{{ n }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif %}
{% endtest %}

{# every value is a number greater than zero (FX rates) #}
{% test positive(model, column_name) %}
    select {{ column_name }} as not_positive
    from {{ model }}
    where {{ column_name }} is not null and not ({{ column_name }} > 0)
{% endtest %}

{#
    The credits of each group (an opportunity in one attribution model) sum to 1, within a
    float tolerance: attributed pipeline summed over channels then equals total pipeline.
#}
{% test credits_sum_to_one(model, column_name, group_by, tolerance=0.000000001) %}
    select {{ group_by | join(', ') }}, sum({{ column_name }}) as total_credit
    from {{ model }}
    group by {{ group_by | join(', ') }}
    having abs(sum({{ column_name }}) - 1.0) > {{ tolerance }}
{% endtest %}

{#
    A missing FX rate is a data-quality failure, never a silent null or a rate of 1: the
    rows whose conversion found no published rate on or before their day.
#}
{% test has_fx_rate(model, column_name) %}
    select *
    from {{ model }}
    where {{ column_name }} is null
{% endtest %}

{#
    Conversion to `reporting_currency` through the FX base: amount / rate(currency) *
    rate(reporting), rates as units per one base unit (int_fx_rates_daily joined twice, as
    `source_rate` on the row's currency and `reporting_rate` on the reporting currency, both
    on the row's day). The same currency converts to itself without a lookup. A missing rate
    leaves a null, which the models' `has_fx_rate` tests turn into a failed build.
#}
{% macro fx_rate_joins(currency, day) -%}
    left join {{ ref('int_fx_rates_daily') }} as source_rate
        on source_rate.currency = {{ currency }}
        and source_rate.rate_date = {{ day }}
    left join {{ ref('int_fx_rates_daily') }} as reporting_rate
        on reporting_rate.currency = '{{ var("reporting_currency") }}'
        and reporting_rate.rate_date = {{ day }}
{%- endmacro %}

{% macro fx_factor(currency) -%}
    case
        when {{ currency }} = '{{ var("reporting_currency") }}' then 1.0
        else reporting_rate.units_per_base / source_rate.units_per_base
    end
{%- endmacro %}

{% macro fx_convert(amount, currency) -%}
    case
        when {{ currency }} = '{{ var("reporting_currency") }}' then {{ amount }}
        else {{ amount }} / source_rate.units_per_base * reporting_rate.units_per_base
    end
{%- endmacro %}
