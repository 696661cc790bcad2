{#
    Schemas are named after the layer (`staging`, `intermediate`, `marts`, `certified`),
    not `<target schema>_<layer>` as dbt's default would have it, so the warehouse reads the
    same on every adapter and the asset keys match the schemas.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
