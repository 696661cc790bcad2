{#
    Cross-database macros. Models use these (or dbt's own cross-database macros) instead of
    adapter-specific SQL, so the same models build on DuckDB and Postgres (and, with an
    implementation here, Snowflake or BigQuery). Each macro dispatches on the adapter.
#}

{# sha256 of a text expression as 64 lowercase hex characters #}
{% macro sha256_hex(expr) -%}{{ return(adapter.dispatch('sha256_hex')(expr)) }}{%- endmacro %}
{% macro default__sha256_hex(expr) -%}sha256({{ expr }}){%- endmacro %}
{% macro postgres__sha256_hex(expr) -%}encode(sha256(convert_to({{ expr }}, 'UTF8')), 'hex'){%- endmacro %}

{# the text value of a top-level key of a JSON object column (null when absent) #}
{% macro json_text(column, key) -%}{{ return(adapter.dispatch('json_text')(column, key)) }}{%- endmacro %}
{% macro default__json_text(column, key) -%}json_extract_string({{ column }}, '$."{{ key }}"'){%- endmacro %}
{% macro postgres__json_text(column, key) -%}({{ column }}::jsonb ->> '{{ key }}'){%- endmacro %}

{# does the whole text match a regular expression #}
{% macro regex_full_match(expr, pattern) -%}{{ return(adapter.dispatch('regex_full_match')(expr, pattern)) }}{%- endmacro %}
{% macro default__regex_full_match(expr, pattern) -%}regexp_full_match({{ expr }}, '{{ pattern }}'){%- endmacro %}
{% macro postgres__regex_full_match(expr, pattern) -%}({{ expr }} ~ '^(?:{{ pattern }})$'){%- endmacro %}

{# the first capture group of a regular expression, null when it does not match #}
{% macro regex_capture(expr, pattern) -%}{{ return(adapter.dispatch('regex_capture')(expr, pattern)) }}{%- endmacro %}
{% macro default__regex_capture(expr, pattern) -%}nullif(regexp_extract({{ expr }}, '{{ pattern }}', 1), ''){%- endmacro %}
{% macro postgres__regex_capture(expr, pattern) -%}nullif(substring({{ expr }} from '{{ pattern }}'), ''){%- endmacro %}

{#
    The value of one parameter of a URL query string (`a=1&b=2`), decoded: `+` and the common
    percent escapes. Decoding is done the same way on every adapter so that they agree.
#}
{% macro url_param(query, name) -%}
    {{ url_decode(regex_capture(query, '(?:^|&)' ~ name ~ '=([^&]*)')) }}
{%- endmacro %}

{% macro url_decode(expr) -%}
    replace(replace(replace(replace(replace(replace(replace(replace(replace(
        {{ expr }}, '+', ' '), '%20', ' '), '%2C', ','), '%3A', ':'), '%2F', '/'), '%40', '@'),
        '%26', '&'), '%3D', '='), '%25', '%')
{%- endmacro %}

{# an instant's calendar date in the reporting time zone #}
{% macro to_reporting_date(instant) -%}
    cast(({{ instant }} at time zone '{{ var("reporting_timezone") }}') as date)
{%- endmacro %}

{# the first day of a date's month, as a date #}
{% macro month_start(day) -%}
    cast({{ dbt.date_trunc('month', day) }} as date)
{%- endmacro %}

{# exact duration between two instants in days (seconds / 86,400), never truncated #}
{% macro days_between(start_instant, end_instant) -%}{{ return(adapter.dispatch('days_between')(start_instant, end_instant)) }}{%- endmacro %}
{% macro default__days_between(start_instant, end_instant) -%}
    ((epoch({{ end_instant }}) - epoch({{ start_instant }})) / 86400.0)
{%- endmacro %}
{% macro postgres__days_between(start_instant, end_instant) -%}
    (extract(epoch from ({{ end_instant }} - {{ start_instant }}))::double precision / 86400.0)
{%- endmacro %}

{# an instant shifted by a number of days (exact, in seconds) #}
{% macro add_days(instant, days) -%}{{ return(adapter.dispatch('add_days')(instant, days)) }}{%- endmacro %}
{% macro default__add_days(instant, days) -%}({{ instant }} + to_seconds(cast({{ days }} as bigint) * 86400)){%- endmacro %}
{% macro postgres__add_days(instant, days) -%}({{ instant }} + ({{ days }}) * interval '1 day'){%- endmacro %}

{# the median of a numeric expression (mean of the two middle values for an even count) #}
{% macro median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{# the day of the week of a date: 0 = Sunday ... 6 = Saturday #}
{% macro day_of_week(day) -%}{{ return(adapter.dispatch('day_of_week')(day)) }}{%- endmacro %}
{% macro default__day_of_week(day) -%}extract(dow from {{ day }}){%- endmacro %}
