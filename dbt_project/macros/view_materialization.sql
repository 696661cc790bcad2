{#
    Views re-created only when they would change (DuckDB).

    dbt's `view` materialization re-creates every view on every run (create under a temporary
    name, rename the old one away, rename, comment, drop). A view holds no data: it changes
    only with its SQL, its documentation or what it reads. At 100k people re-creating the 48
    staging views took 3-4 s of a 22 s incremental build (benchmarks/OVERHEAD_RESULTS.md),
    because every intermediate model waits for its views.

    This is dbt's own view materialization (dbt-core's global project, view.sql) with one
    step before it: the view's fingerprint, the md5 of its compiled SQL, its description and
    columns' documentation, its config, and the columns (names, types, order) of every relation
    it reads, as the warehouse has them now. When the view exists and the fingerprint kept for
    it (`audit.view_fingerprints`, created by the on-run-start hook) is the same, the view is
    left as it is; `--full-refresh` re-creates it anyway. Otherwise it is re-created as dbt
    does, and its fingerprint is kept in the same transaction. The view's data tests run in
    either case, as before.

    The columns of what a view reads are in the fingerprint because DuckDB binds a view again
    on each query and refuses one whose result types changed under it: a source that gains,
    loses or retypes a column makes its views new again.
#}

{% macro view_fingerprints_relation() -%}
    {{ return(audit_relation('view_fingerprints')) }}
{%- endmacro %}

{# on-run-start: the table of fingerprints (audit tables: macros/scoped_tests.sql) #}
{% macro create_view_fingerprints() -%}
    {{ create_audit_table('view_fingerprints', [
        ('relation_name', dbt.type_string()), ('fingerprint', dbt.type_string())]) }}
{%- endmacro %}

{# What a view is made of, hashed: its SQL, docs and config, and its parents' columns now. #}
{% macro view_fingerprint(sql) -%}
    {%- set parents = [] -%}
    {%- for unique_id in model.depends_on.nodes -%}
        {%- set parent = graph.sources.get(unique_id) or graph.nodes.get(unique_id) -%}
        {%- if parent -%}
            {%- do parents.append("(lower(table_schema) = '" ~ parent.schema | lower ~ "' and lower(table_name) = '"
                ~ (parent.identifier or parent.alias) | lower ~ "')") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set columns = [] -%}
    {%- if parents -%}
        {%- set described = run_query(
            "select table_schema, table_name, column_name, data_type from information_schema.columns"
            ~ " where table_catalog = '" ~ this.database ~ "' and (" ~ parents | join(' or ') ~ ")"
            ~ " order by table_schema, table_name, ordinal_position") -%}
        {%- for row in described.rows -%}
            {%- do columns.append(row | join('.')) -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(local_md5(
        sql ~ '\n' ~ tojson(model.description) ~ '\n' ~ tojson(model.columns) ~ '\n'
        ~ tojson(model.config) ~ '\n' ~ columns | join(',')
    )) -}}
{%- endmacro %}

{%- materialization view, adapter='duckdb' -%}

  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='view') -%}

  {#- left as it is when nothing it is made of changed -#}
  {%- set fingerprint = view_fingerprint(sql) -%}
  {%- if existing_relation is not none and existing_relation.is_view and not should_full_refresh() -%}
    {%- set stored = run_query("select fingerprint from " ~ view_fingerprints_relation()
        ~ " where relation_name = '" ~ target_relation ~ "'") -%}
    {%- if stored.rows | length == 1 and stored.rows[0][0] == fingerprint -%}
      {% call statement('main') -%}
        select 1
      {%- endcall %}
      {{ return({'relations': [target_relation]}) }}
    {%- endif -%}
  {%- endif -%}

  {#- dbt-core's view materialization from here, the fingerprint kept before its commit -#}
  {%- set intermediate_relation =  make_intermediate_relation(target_relation) -%}
  {%- set preexisting_intermediate_relation = load_cached_relation(intermediate_relation) -%}
  {%- set backup_relation_type = 'view' if existing_relation is none else existing_relation.type -%}
  {%- set backup_relation = make_backup_relation(target_relation, backup_relation_type) -%}
  {%- set preexisting_backup_relation = load_cached_relation(backup_relation) -%}
  {% set grant_config = config.get('grants') %}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}

  {{ drop_relation_if_exists(preexisting_intermediate_relation) }}
  {{ drop_relation_if_exists(preexisting_backup_relation) }}

  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% call statement('main') -%}
    {{ get_create_view_as_sql(intermediate_relation, sql) }}
  {%- endcall %}

  {% if existing_relation is not none %}
    {% set existing_relation = load_cached_relation(existing_relation) %}
    {% if existing_relation is not none %}
        {{ adapter.rename_relation(existing_relation, backup_relation) }}
    {% endif %}
  {% endif %}
  {{ adapter.rename_relation(intermediate_relation, target_relation) }}

  {% set should_revoke = should_revoke(existing_relation, full_refresh_mode=True) %}
  {% do apply_grants(target_relation, grant_config, should_revoke=should_revoke) %}

  {% do persist_docs(target_relation, model) %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}

  {% call statement('keep_view_fingerprint') -%}
    delete from {{ view_fingerprints_relation() }} where relation_name = '{{ target_relation }}';
    insert into {{ view_fingerprints_relation() }} (relation_name, fingerprint)
    values ('{{ target_relation }}', '{{ fingerprint }}')
  {%- endcall %}

  {{ adapter.commit() }}

  {{ drop_relation_if_exists(backup_relation) }}

  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}

{%- endmaterialization -%}
