{#
    Incremental marts that stay equal to a full refresh (docs/certified_tables.md, Incremental
    models). A model is incremental by *partition*: a set of rows that is rewritten as a whole
    (a touchpoint, a person's stage entries, an opportunity's credits, a spend row). On an
    incremental run the model selects, from its full upstream query, only the rows of the
    partitions whose rows are new, changed or gone (compared on every column, nulls equal,
    with EXCEPT in both directions), and dbt's `delete+insert` strategy keyed on the partition
    columns deletes those partitions and inserts their current rows. A partition that no
    longer exists upstream (a contact merged away, an archived deal) is deleted by the post-hook
    `delete_vanished_partitions`. Late updates are therefore caught wherever they land in time
    (a restated ad day, a deal revised months later, activity history attached late), without a
    lookback window that could miss one. Portable SQL only: EXCEPT, row-value IN, DELETE.
#}

{#
    The where-clause of an incremental run: rows of `upstream` (a CTE of the model) whose
    partition differs from the stored one. On a full build: nothing (every row).
#}
{% macro changed_partitions(upstream, partition_columns) -%}
    {%- if is_incremental() %}
    where ({{ partition_columns | join(', ') }}) in (
        {{- changed_partition_keys(upstream, partition_columns) | indent(4) }}
    )
    {%- endif %}
{%- endmacro %}

{#
    The partitions (`partition_columns`) with a row of `upstream` not stored as it is, or a
    stored row no longer in `upstream`: new, changed or gone (EXCEPT both ways, every column,
    nulls equal). `stored`: the stored rows in the shape of `upstream` (a CTE), when they are
    not the model's own table as it is.
#}
{% macro changed_partition_keys(upstream, partition_columns, stored=none) -%}
    {%- set key = partition_columns | join(', ') %}
    {%- set stored = stored or this %}
    select {{ key }}
    from (
        select * from {{ upstream }}
        except
        select * from {{ stored }}
    ) as new_or_changed
    union
    select {{ key }}
    from (
        select * from {{ stored }}
        except
        select * from {{ upstream }}
    ) as changed_or_gone
{%- endmacro %}

{#
    The rows an incremental run writes for a model kept by partition, the vanished
    partitions included, without a post-hook that reads the upstream again: every row of
    each partition that is new, changed or gone (found as `changed_partitions` finds them,
    `upstream` being a CTE of the model holding its full result), and for each of those with
    no upstream row left a tombstone (its partition columns, every other column null), which
    delete+insert writes over the stored rows and the post-hook
    `delete_tombstones(marker_column)` deletes in the same transaction. On a full build:
    every upstream row. `columns`: the model's columns, in order.
#}
{% macro changed_partition_rows(upstream, partition_columns, columns) -%}
    {%- if is_incremental() %}
    {%- set key = partition_columns | join(', ') %}
    select * from (
        with changed_keys as (
            {{- changed_partition_keys(upstream, partition_columns) | indent(8) }}
        )
        select * from {{ upstream }}
        where ({{ key }}) in (select {{ key }} from changed_keys)
        union all
        {{ gone_tombstones(columns, partition_columns, 'changed_keys', upstream) | indent(8) }}
    ) as changed_partition_rows
    {%- else %}
    select * from {{ upstream }}
    {%- endif %}
{%- endmacro %}

{#
    A tombstone for each key of `changed_keys` (a CTE of keys found new, changed or gone) that
    `upstream` no longer holds: the key columns, every other of `columns` null.
#}
{% macro gone_tombstones(columns, key_columns, changed_keys, upstream) -%}
    {%- set key = key_columns | join(', ') %}
    select {{ tombstone_columns(columns, key_columns) | indent(4) }}
    from (
        select {{ key }} from {{ changed_keys }}
        except
        select {{ key }} from {{ upstream }}
    ) as gone
{%- endmacro %}

{#
    The select list of a tombstone: each of `columns` (a model's columns, in order) as itself
    when it is one of `key_columns`, else null.
#}
{% macro tombstone_columns(columns, key_columns) -%}
    {%- for column in columns %}
    {% if column in key_columns %}{{ column }}{% else %}null{% endif %} as {{ column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#
    On an incremental run, fail with the one-time fix when the stored table lacks `column`,
    a column the incremental select reads from it: it was stored by an earlier version of
    the project, before the model kept that column.
#}
{% macro require_stored_column(column) -%}
    {%- if execute and is_incremental()
        and column not in adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list %}
    {{- exceptions.raise_compiler_error(this ~ " was stored without " ~ column ~ " (by an earlier version of the project): rebuild it once with `dbt build --full-refresh --select " ~ this.identifier ~ "`") }}
    {%- endif %}
{%- endmacro %}

{#
    Post-hook: delete the stored partitions that no longer exist upstream. `upstreams` lists
    (relation, its columns in the order of `partition_columns`); a partition survives when any
    upstream still has it.
#}
{% macro delete_vanished_partitions(partition_columns, upstreams) -%}
    {%- if is_incremental() %}
    delete from {{ this }}
    where ({{ partition_columns | join(', ') }}) not in (
        {%- for relation, columns in upstreams %}
        select {{ columns | join(', ') }} from {{ relation }}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    )
    {%- else %}
    select 1
    {%- endif %}
{%- endmacro %}

{#
    Post-hook of a model whose incremental select writes a tombstone for each partition that
    vanished upstream (found by the same join that finds the new and changed ones): a row with
    only its key, `marker_column` null where a real row never is (a not_null test says so).
    delete+insert has written the tombstone over the stored row; this deletes it, in the
    same transaction, so no reader sees one.
#}
{% macro delete_tombstones(marker_column) -%}
    {%- if is_incremental() %}
    delete from {{ this }} where {{ marker_column }} is null
    {%- else %}
    select 1
    {%- endif %}
{%- endmacro %}

{#
    Incremental staging (a staging model kept as a table because many models and tests read
    what it computes, such as the parsed rows of a source's largest raw table): a run reads
    only the raw rows of loads it has not seen, found by dlt's `_dlt_load_id` (a load's id is
    its start time, so a later load of the same pipeline has a larger id, and dlt loads a
    pipeline's packages in order). The model keeps the load id of each row as `dlt_load_id`.

    Pre-hook: delete the stored rows that a load not yet seen rewrote, so that a rewritten row
    that now fails a record rule does not stay as it was (the others are deleted and inserted
    again by the delete+insert strategy anyway).
#}
{% macro delete_reloaded_rows(raw, key) -%}
    {%- if is_incremental() %}
    delete from {{ this }}
    where {{ key }} in (
        select {{ key }} from {{ raw }}
        where _dlt_load_id > {{ newest_load_seen() }}
    )
    {%- else %}
    select 1
    {%- endif %}
{%- endmacro %}

{#
    Post-hook of a model that keeps one row per row of `upstream` that passes `passes` (a raw
    table and its record rules, or an intermediate model): delete the stored rows whose
    upstream row is gone. After the insert the stored keys are the upstream keys plus those
    gone, so the upstream keys are read only when the stored rows outnumber the upstream rows
    that pass, which is exactly when one is gone (for a raw table that dlt only merges into:
    when it was dropped and loaded again).
#}
{% macro delete_rows_gone_from(upstream, key, passes='true') -%}
    {%- if is_incremental() %}
    delete from {{ this }}
    where
        (select count(*) from {{ this }})
        > (select count(*) from {{ upstream }} where {{ passes }})
        and {{ key }} not in (select {{ key }} from {{ upstream }} where {{ key }} is not null)
    {%- else %}
    select 1
    {%- endif %}
{%- endmacro %}

{# the newest load an incremental staging model has read ('' when it holds no row yet) #}
{% macro newest_load_seen() -%}
    coalesce((select max(dlt_load_id) from {{ this }}), '')
{%- endmacro %}

{#
    Changes carried by time: a model that rewrites some rows on a run stamps them with the
    run's start (`run_started_timestamp()`, the same for every model of one `dbt build`, as a
    column such as `parsed_at`), and an incremental model downstream takes the upstream rows
    stamped after the newest stamp it stored (`stamped_since`). A run that fails between the
    two models leaves the stamps in place, so the next run still takes those rows.
#}
{% macro run_started_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro stamped_since(column) -%}
    {{ stamped_after(column, '(select max(' ~ column ~ ') from ' ~ this ~ ')') }}
{%- endmacro %}

{#
    The rows whose stamp `column` is after `newest` (a scalar query, null when nothing is
    stored yet: then every row); `stamped_since` with this model's newest stamp, and the data
    tests scoped to the rows written since they last passed (macros/scoped_tests.sql).
#}
{% macro stamped_after(column, newest) -%}
    {{ column }} > coalesce({{ newest }}, cast('1900-01-01' as {{ dbt.type_timestamp() }}))
{%- endmacro %}

{#
    What a stamped model computes itself besides its upstream rows, such as a date in the
    reporting time zone, follows no stamp: the partitions (`partition_column`) whose stored
    `stored_column` differs from `expression` now (a changed `reporting_timezone`), to take
    with the stamped rows. Reads the stored table once.
#}
{% macro stored_value_differs(partition_column, stored_column, expression) -%}
    {{ partition_column }} in (
        select {{ partition_column }} from {{ this }}
        where {{ stored_column }} is distinct from {{ expression }}
    )
{%- endmacro %}

{#
    A fingerprint of the rows of a small relation or CTE (the rules and lookups a model applies
    to every row): an md5 of its rows in order, each column written with its length in front
    so that different rows never write the same text. A model stores it on every row it writes
    and, when it differs on a later run, applies the changed rules to every row again.
#}
{% macro rows_fingerprint(relation, columns) -%}
    select md5(coalesce(string_agg(row_text, '\n' order by row_text), '')) as fingerprint
    from (
        select {{ length_prefixed_text(columns) }} as row_text
        from {{ relation }}
    ) as fingerprinted_rows
{%- endmacro %}

{#
    One text for several values that two different lists of values never share: each value
    as text with its length in front (`5:hello`), `-` for a null, joined by `|`. A key to group
    or join on several nullable columns with one equality, and the row text of a fingerprint.
#}
{% macro length_prefixed_text(columns) -%}
    {%- set s = dbt.type_string() -%}
    {%- for column in columns -%}
    coalesce(cast(length(cast({{ column }} as {{ s }})) as {{ s }}) || ':' || cast({{ column }} as {{ s }}), '-')
    {%- if not loop.last %} || '|' || {% endif -%}
    {%- endfor -%}
{%- endmacro %}
