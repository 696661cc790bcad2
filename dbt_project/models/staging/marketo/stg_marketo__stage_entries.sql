{#
    Marketo's lifecycle entries in the conformed shape of the registry entity `stage_entries`
    (unioned by int_lifecycle_stage_entries_unioned): one row per Lead Status change. The new
    status is the source value; the `marketo` rows of the seed `lifecycle_stage_map` map it to a
    canonical stage.
#}
with

status_changes as (

    select * from {{ ref('stg_marketo__lead_status_changes') }}

),

conformed as (

    select
        -- ids
        'marketo' as source_system,
        cast(lead_id as {{ dbt.type_string() }}) as source_record_id,

        -- dimensions
        new_value as source_value,

        -- timestamps
        changed_at as entered_at

    from status_changes

)

select * from conformed
