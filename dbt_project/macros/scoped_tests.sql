{#
    Data tests scoped to the rows written since the test last passed.

    A test whose `meta` names `checked_since: <stamp column>` reads only the rows stamped after
    the start of the last run in which it passed (kept in `audit.test_watermarks`), instead of
    the whole table. Only for the incremental models that stamp every row they write with the
    start of the run (`parsed_at`, `channeled_at`, `made_monotone_at`: `run_started_timestamp`)
    and delete+insert by a key, and only for tests whose truth a run cannot change for rows it
    did not write:

    * a row-level test (not_null): a row not written again keeps the value that passed;
    * a uniqueness test on the delete+insert key (or on columns that include it): a run deletes
      every stored row of a key it writes, so two rows of one key are both in one run's rows
      or were both there when the test last passed.

    Why it is sound when a run fails: the watermark moves only when the test passes
    (`record_test_watermarks`, on-run-end), so the rows of a run whose test failed (the model
    is written before its tests run) are read again by every later run until it passes. A
    watermark that is missing (a new test, a dropped audit table) reads the whole table. A
    test that compares with another model (relationships) is never scoped: the other model can
    change under rows that were not written again.
#}

{#
    The project's own bookkeeping in the warehouse: a table of the `audit` schema (the
    watermarks here, the view fingerprints of macros/view_materialization.sql).
#}
{% macro audit_relation(identifier) -%}
    {{ return(api.Relation.create(database=target.database, schema='audit', identifier=identifier)) }}
{%- endmacro %}

{# on-run-start hooks: an audit table, created once; `columns`: (name, type) pairs #}
{% macro create_audit_table(identifier, columns) -%}
    create schema if not exists audit;
    create table if not exists {{ audit_relation(identifier) }} (
        {%- for name, type in columns %}
        {{ name }} {{ type }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

{% macro test_watermarks_relation() -%}
    {{ return(audit_relation('test_watermarks')) }}
{%- endmacro %}

{# on-run-start: the table of watermarks #}
{% macro create_test_watermarks() -%}
    {{ create_audit_table('test_watermarks', [
        ('test_id', dbt.type_string()), ('checked_through', dbt.type_timestamp())]) }}
{%- endmacro %}

{# on-run-end: each scoped test that passed in this run has checked every row through its start #}
{% macro record_test_watermarks(results) -%}
    {%- set passed = [] -%}
    {%- if execute -%}
    {%- for result in results -%}
        {%- if result.node.resource_type == 'test' and result.status == 'pass'
              and (result.node.config.meta or {}).get('checked_since') -%}
            {%- do passed.append(result.node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- endif -%}
    {%- if passed %}
    delete from {{ test_watermarks_relation() }}
    where test_id in ({% for id in passed %}'{{ id }}'{% if not loop.last %}, {% endif %}{% endfor %});
    insert into {{ test_watermarks_relation() }} (test_id, checked_through) values
    {%- for id in passed %}
        ('{{ id }}', {{ run_started_timestamp() }}){% if not loop.last %},{% endif %}
    {%- endfor %}
    {%- else %}
    select 1
    {%- endif %}
{%- endmacro %}

{#
    dbt's hook for a test's `where` (the documented way to template it): a test with
    `meta: {checked_since: <stamp column>}` reads the rows stamped after its watermark (and
    its own `where`, when it has one); otherwise dbt's own behaviour.
#}
{% macro get_where_subquery(relation) -%}
    {%- set stamp = (config.get('meta') or {}).get('checked_since') -%}
    {%- if stamp -%}
        {%- set watermark -%}
            (select max(checked_through) from {{ test_watermarks_relation() }}
             where test_id = '{{ model.unique_id }}')
        {%- endset -%}
        {%- set where = config.get('where') -%}
        {%- set filtered -%}
            (select * from {{ relation }}
             where {{ stamped_after(stamp, watermark) }}
             {%- if where %} and ({{ where }}){% endif %}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(dbt.default__get_where_subquery(relation)) -%}
    {%- endif -%}
{%- endmacro %}
