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

{# does the text contain a match of a regular expression anywhere #}
{% macro regex_contains(expr, pattern) -%}{{ return(adapter.dispatch('regex_contains')(expr, pattern)) }}{%- endmacro %}
{% macro default__regex_contains(expr, pattern) -%}regexp_matches({{ expr }}, '{{ pattern }}'){%- endmacro %}
{% macro postgres__regex_contains(expr, pattern) -%}({{ expr }} ~ '{{ pattern }}'){%- endmacro %}

{#
    The value of one parameter of a URL query string (`a=1&b=2`) as sent, still percent-encoded
    (null when absent or empty). Decode it with `url_decode`, in a later CTE than the capture:
    the decoding reads its argument more than once, and a capture repeated is a regex pass more.
#}
{% macro query_param(query, name) -%}
    {{ regex_capture(query, '(?:^|&)' ~ name ~ '=([^&]*)') }}
{%- endmacro %}

{#
    A query-string value percent-decoded, the same on every adapter: `+` is a space, every
    `%XX` escape is its byte and the bytes are read as UTF-8 (`%C3%A9` -> é, `%3C` -> <); text
    that is no escape (`%zz`, a final `%`) stays as it is. A value whose escapes are not valid
    UTF-8 (a lone `%C3`, `%FF`, an overlong form) cannot be decoded: it is kept as sent, with
    `+` read as a space, instead of failing the build. Pass a column, not an expression: the
    argument is read more than once.

    DuckDB: its built-in `url_decode`, which errors on invalid UTF-8, so it is called only on
    values whose every run of escapes is well-formed UTF-8 (the same check as on Postgres, on
    the runs `regexp_extract_all` finds). Not `coalesce(try(url_decode(v)), v)`: DuckDB's `try`
    can null its input column for the failing row (duckdb/duckdb#20006, seen on 1.4.4 when the
    plan changed), which turned such a value into null instead of keeping it. Postgres has
    none: the value is split into runs of escapes and other text (`regexp_matches ... with
    ordinality`), each run of escapes is decoded with convert_from(decode(hex)) when its bytes
    are well-formed UTF-8 (the regular expression of Unicode's table 3-7; convert_from would
    abort the build otherwise) and the pieces are joined in order. Postgres text cannot hold
    NUL: `%00` is decoded as U+0001, another C0 control, which `visitor_text` removes as it
    removes a NUL on DuckDB. Only values holding a `%` take the subquery. An expression rather
    than a SQL function created by a macro: no object outside the models to create, grant,
    keep in step with the SQL or drop with a schema.
#}
{% macro url_decode(expr) -%}{{ return(adapter.dispatch('url_decode')(expr)) }}{%- endmacro %}
{#- hex digits (upper case, no `%`) that are well-formed UTF-8: Unicode's table 3-7 -#}
{% macro well_formed_utf8_hex() -%}
    {%- set cont = '[89AB][0-9A-F]' -%}
    {{- return("'^(?:[0-7][0-9A-F]|(?:C[2-9A-F]|D[0-9A-F])" ~ cont
        ~ "|E0[AB][0-9A-F]" ~ cont ~ "|(?:E[1-9A-CEF])" ~ cont ~ cont ~ "|ED[89][0-9A-F]" ~ cont
        ~ "|F0[9AB][0-9A-F]" ~ cont ~ cont ~ "|F[1-3]" ~ cont ~ cont ~ cont
        ~ "|F48[0-9A-F]" ~ cont ~ cont ~ ")*$'") -}}
{%- endmacro %}
{% macro default__url_decode(expr) -%}
    case
        when strpos({{ expr }}, '%') = 0 then replace({{ expr }}, '+', ' ')
        when coalesce(list_bool_and(list_transform(
            regexp_extract_all({{ expr }}, '(?:%[0-9A-Fa-f]{2})+'),
            run -> regexp_matches(upper(replace(run, '%', '')), {{ well_formed_utf8_hex() }})
        )), true) then url_decode(replace({{ expr }}, '+', ' '))
        else replace({{ expr }}, '+', ' ')
    end
{%- endmacro %}
{% macro postgres__url_decode(expr) -%}
    {%- set hex = "upper(replace(pieces.piece[1], '%', ''))" -%}
    {%- set well_formed_utf8 = well_formed_utf8_hex() -%}
    case
        when strpos({{ expr }}, '%') = 0 then replace({{ expr }}, '+', ' ')
        else coalesce((
            select string_agg(
                case
                    when pieces.piece[1] is null then pieces.piece[2]
                    when {{ hex }} ~ {{ well_formed_utf8 }} then convert_from(
                        decode(replace(replace(pieces.piece[1], '%00', '%01'), '%', ''), 'hex'), 'UTF8'
                    )
                end,
                '' order by pieces.n
            )
            from regexp_matches(
                replace({{ expr }}, '+', ' '), '((?:%[0-9A-Fa-f]{2})+)|([^%]+|%)', 'g'
            ) with ordinality as pieces (piece, n)
            having bool_and(pieces.piece[1] is null or {{ hex }} ~ {{ well_formed_utf8 }})
        ), replace({{ expr }}, '+', ' '))
    end
{%- endmacro %}

{# an instant's calendar date in the reporting time zone #}
{% macro to_reporting_date(instant) -%}
    cast(({{ instant }} at time zone '{{ var("reporting_timezone") }}') as date)
{%- endmacro %}

{# the instant a date of the reporting time zone starts (a date-only close taken as an instant) #}
{% macro reporting_midnight(day) -%}
    (cast({{ day }} as timestamp) at time zone '{{ var("reporting_timezone") }}')
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

{#
    The first row of each partition in an order, with the partition's row count: a select of
    `partition_column`, `columns` and `row_count`, one row per partition of `relation`.
    `order_columns` must order each partition's rows without ties (end with a unique column).
    DuckDB: one aggregate (arg_min over the order as a struct), which sorts nothing (at a
    million people: 0.6 s against 2.7 s for the window over 8M touches); elsewhere a window.
#}
{% macro first_row_per_partition(relation, partition_column, order_columns, columns) -%}
    {{- return(adapter.dispatch('first_row_per_partition')(relation, partition_column, order_columns, columns)) -}}
{%- endmacro %}

{% macro default__first_row_per_partition(relation, partition_column, order_columns, columns) -%}
    select {{ partition_column }}, {{ columns | join(', ') }}, row_count
    from (
        select
            {{ partition_column }},
            {{ columns | join(', ') }},
            row_number() over (
                partition by {{ partition_column }} order by {{ order_columns | join(', ') }}
            ) as row_number_in_partition,
            count(*) over (partition by {{ partition_column }}) as row_count
        from {{ relation }}
    ) as numbered
    where row_number_in_partition = 1
{%- endmacro %}

{% macro duckdb__first_row_per_partition(relation, partition_column, order_columns, columns) -%}
    select
        {{ partition_column }},
        {%- for column in columns %}
        struct_extract(first_row, '{{ column }}') as {{ column }},
        {%- endfor %}
        row_count
    from (
        select
            {{ partition_column }},
            arg_min(
                struct_pack({% for column in columns %}{{ column }} := {{ column }}{% if not loop.last %}, {% endif %}{% endfor %}),
                struct_pack({% for column in order_columns %}order_{{ loop.index }} := {{ column }}{% if not loop.last %}, {% endif %}{% endfor %})
            ) as first_row,
            count(*) as row_count
        from {{ relation }}
        group by {{ partition_column }}
    ) as firsts
{%- endmacro %}

{#
    A fingerprint of one row's values (a list of column expressions), stored beside the row so
    that a later run finds the rows whose values changed by comparing one column instead of
    reading every stored column. Two different lists of values share a fingerprint only by a
    hash collision. Default: the md5 of `length_prefixed_text` (macros/incremental_macros.sql),
    32 hex characters. DuckDB: its 64-bit `hash` of the values, eight to ten times cheaper
    than an md5 of their text (measured on 8.1M touches); a DuckDB whose `hash` gives other
    values makes the next run see every row as changed once, which costs time, not
    correctness.
#}
{% macro row_fingerprint(columns) -%}
    {{- return(adapter.dispatch('row_fingerprint')(columns)) -}}
{%- endmacro %}

{% macro default__row_fingerprint(columns) -%}
    md5({{ length_prefixed_text(columns) }})
{%- endmacro %}

{% macro duckdb__row_fingerprint(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}
