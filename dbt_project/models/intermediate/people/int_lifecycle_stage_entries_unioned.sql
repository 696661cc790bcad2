{#
    Every lifecycle entry of every person record, mapped to a canonical stage through the
    seed `lifecycle_stage_map` (lower(trim()) of both sides; values not in the map are
    ignored), with the record's person. A new system adds one union branch
    (Salesforce lead status history).
#}
with

hubspot_stage_dates as (

    select
        'hubspot' as source_system,
        contact_id as source_record_id,
        source_value,
        entered_at
    from {{ ref('stg_hubspot__lifecycle_stage_dates') }}

),

marketo_status_changes as (

    select
        'marketo' as source_system,
        cast(lead_id as {{ dbt.type_string() }}) as source_record_id,
        new_value as source_value,
        changed_at as entered_at
    from {{ ref('stg_marketo__lead_status_changes') }}

),

unioned as (

    select * from hubspot_stage_dates
    union all
    select * from marketo_status_changes

),

stage_map as (

    select
        lower(trim(source_system)) as source_system,
        lower(trim(source_value)) as source_value,
        lower(trim(stage)) as stage
    from {{ ref('lifecycle_stage_map') }}

),

canonical_stages as (

    {{ canonical_stage_rows() }}

),

person_records as (

    select source_system, source_record_id, person_id
    from {{ ref('int_person_records') }}

)

select
    person_records.person_id,
    unioned.source_system,
    unioned.source_record_id,
    unioned.source_value,
    canonical_stages.stage,
    canonical_stages.stage_order,
    unioned.entered_at
from unioned
inner join stage_map
    on
        stage_map.source_system = unioned.source_system
        and stage_map.source_value = lower(trim(unioned.source_value))
inner join canonical_stages
    on canonical_stages.stage = stage_map.stage
inner join person_records
    on
        person_records.source_system = unioned.source_system
        and person_records.source_record_id = unioned.source_record_id
