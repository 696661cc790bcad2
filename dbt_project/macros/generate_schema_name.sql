{#
    Schemas are named after the layer (`staging`, `intermediate`, `marts`, `certified`),
    not `<target schema>_<layer>` as dbt's default would have it, so the warehouse reads the
    same on every adapter and the asset keys match the schemas.

    The `published` target (profiles.yml) is the published certified file, which keeps the
    certified tables in its default schema (orchestration/publication.py): there a certified
    model is named `<file's catalog>.main.<table>`, so the semantic manifest parsed for that
    target names the tables MetricFlow must read (scripts/mf.py). No other layer is published.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}
    {%- elif target.name == 'published' and custom_schema_name | trim == 'certified' -%}{{ target.schema }}
    {%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
