{#
    The source systems as dbt sees them: the registry (warehouse/sources.yml, copied into
    macros/generated/source_registry.sql) and one var per source, `<name>_enabled` (default
    the entry's `enabled_by_default`: true but for a second CRM). A disabled source's staging
    models and dbt sources are disabled in its own staging folder
    (`enabled: "{{ var('<name>_enabled', true) }}"`), and every shared model reads the
    enabled sources through these macros, never a list of its own.
#}

{% macro source_enabled(name) -%}
    {%- set value = var(name ~ '_enabled', source_registry()[name].get('enabled_by_default', true)) -%}
    {{- return(value in [true, 'true', 'True', 'TRUE', 1, '1', 'yes']) -}}
{%- endmacro %}

{# the enabled sources, in the registry's order; of one kind (crm, automation, ads, fx) #}
{% macro enabled_sources(kind=none) -%}
    {%- set names = [] -%}
    {%- for name, entry in source_registry().items() -%}
        {%- if source_enabled(name) and (kind is none or entry['kind'] == kind) -%}
            {%- do names.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(names) -}}
{%- endmacro %}

{# (source, staging model) of every enabled source that holds `what` (a key of its `dbt`); of one kind #}
{% macro sources_holding(what, kind=none) -%}
    {%- set out = [] -%}
    {%- for name in enabled_sources(kind) -%}
        {%- set model = source_registry()[name]['models'].get(what) -%}
        {%- if model -%}{%- do out.append((name, model)) -%}{%- endif -%}
    {%- endfor -%}
    {{- return(out) -}}
{%- endmacro %}

{#
    The union of the staging models that hold `what`, one branch per enabled source, selecting
    `columns` (an ordered list of (name, type) pairs; type: string, timestamp, timestamptz, date,
    integer, bigint, numeric, float, double, boolean) in that order. `timestamp` is dbt's
    (without time zone on DuckDB and Postgres): an instant is `timestamptz`; `float` is
    single precision on DuckDB: a 64-bit float is `double`. With no enabled source holding
    `what`, an empty relation of the same columns, so every model downstream builds and is empty.
#}
{% macro union_sources(what, columns) -%}
    {%- set branches = sources_holding(what) -%}
    {%- if branches | length == 0 %}
    select
        {%- for name, type in columns %}
        cast(null as {{ column_type(type) }}) as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    where 1 = 0
    {%- else -%}
    {%- for source_name, model in branches %}
    select
        {%- for name, type in columns %}
        cast({{ name }} as {{ column_type(type) }}) as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref(model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endif %}
{%- endmacro %}

{% macro column_type(type) -%}
    {%- set types = {
        'string': dbt.type_string(), 'timestamp': dbt.type_timestamp(), 'date': 'date',
        'integer': dbt.type_int(), 'bigint': dbt.type_bigint(), 'numeric': dbt.type_numeric(),
        'float': dbt.type_float(), 'boolean': dbt.type_boolean(),
        'timestamptz': 'timestamp with time zone', 'double': 'double precision',
    } -%}
    {{- return(types[type]) -}}
{%- endmacro %}

{#
    `column` when `relation` has it, else `otherwise` (a SQL expression): for a field a source
    has in some accounts only (a currency field exists only where the account has several
    currencies). Read from the warehouse when the model runs; at parse time, `column`.
#}
{% macro column_if_present(relation, column, otherwise='null') -%}
    {%- if execute -%}
        {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if column | lower not in names -%}{{- return(otherwise) -}}{%- endif -%}
    {%- endif -%}
    {{- return(column) -}}
{%- endmacro %}
