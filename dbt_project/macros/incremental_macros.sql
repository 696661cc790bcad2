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
    {%- set key = partition_columns | join(', ') %}
    where ({{ key }}) in (
        select {{ key }}
        from (
            select * from {{ upstream }}
            except
            select * from {{ this }}
        ) as new_or_changed
        union
        select {{ key }}
        from (
            select * from {{ this }}
            except
            select * from {{ upstream }}
        ) as changed_or_gone
    )
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
