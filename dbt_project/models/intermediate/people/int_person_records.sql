{#
    The identity interface: which person every source record belongs to, one row per source
    record (merged-away CRM records included). Everything downstream joins source records to
    people through this model only.

    A view: it only names the columns of int_people_identified (a table) that downstream
    models may read, so a run does not write the same rows twice.
#}
{{ config(materialized='view') }}
select
    source_system,
    source_record_id,
    person_id,
    person_key,
    has_email,
    is_merged,
    original_source_field,
    original_source,
    record_created_at
from {{ ref('int_people_identified') }}
