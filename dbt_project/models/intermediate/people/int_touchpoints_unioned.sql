{#
    Every marketing touch of every person, one row per touch, with what the channel rules and
    campaign matching read: the URL query parameters (UTM, click ids, decoded by `url_decode`)
    and the program (campaign) of the touch. The UTM values are visitor text: cleaned by the
    rule `visitor_text_clean` (macros/visitor_text.sql: control and formatting characters
    removed, trimmed, an email address or phone number redacted, cut to
    `visitor_text_max_length`), and what it changed is said in `visitor_text_corrections`,
    which quarantine_records lists through int_touchpoints_channeled. The touches are the union of the staging models that hold
    `touchpoints` in the source registry (warehouse/sources.yml), each in the conformed shape of
    `touchpoint_columns()` (macros/people_macros.sql): a source decides there which of its
    events are touches, their `<source>-<id>` touchpoint id (unique across sources), type,
    raw URL query and program. A CRM campaign response (Salesforce) that the same person holds
    as another source's touch of the same program (Marketo's program synced to the campaign) is
    left out: one membership, one touch. With no such source enabled, empty.

    Incremental by touchpoint (delete+insert on touchpoint_id), source-agnostic: a run
    URL-parses only the touches whose conformed staged row, with the person of its record, is
    not stored as it is: new touches (late-attached history of any date included), touches
    whose record's person changed (a merge, a new email) and touches a source restated (a
    program renamed or created later, a changed setting of the source's staging model). Each
    stored row keeps `inputs_fingerprint`, the `row_fingerprint` (macros/cross_database.sql) of
    the columns it was computed from; one full outer join on touchpoint_id sets every
    identified touch, fingerprinted, beside the stored fingerprint, so a run reads two stored
    columns, not ten (the comparison of every column was half of this model's time at a
    million people). A stored touch with no identified one (no longer staged, its record gone,
    or now a duplicate response) comes out of the same join as a tombstone, a row with only
    its touchpoint_id, which the delete+insert writes over the stored row and the post-hook
    deletes (`delete_tombstones`) before the run commits, so no reader sees it. The identified
    touches are read once a run. The parsed columns are a function of `query_string` and the
    var `visitor_text_max_length`, so only a change of the parsing itself (`query_param`,
    `url_decode`, macros/visitor_text.sql, `query_fields`) or of that var needs
    `dbt build --full-refresh`. `parsed_at` is the start of the run that parsed the row:
    int_touchpoints_channeled channels the rows parsed since its own last run.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='touchpoint_id',
    on_schema_change='fail',
    post_hook="{{ delete_tombstones('person_id') }}",
) }}
{%- set query_fields = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content',
                        'gclid', 'msclkid', 'fbclid', 'li_fat_id'] -%}
{#- the parameters that are text a visitor can choose and a report can show (the click ids are
    opaque tokens the channel rules only test for presence) -#}
{%- set visitor_text_fields = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] -%}
{#- the columns a stored touch was computed from: a touch is parsed again when one differs -#}
{%- set compared_columns = ['touchpoint_id', 'person_id', 'source_system', 'source_record_id',
                            'touched_at', 'touch_type', 'query_string', 'program_id',
                            'program_name', 'program_channel'] -%}
{#- what the parsing carries through: those columns and their fingerprint -#}
{%- set carried_columns = compared_columns + ['inputs_fingerprint'] -%}

with

-- with its person (a touch of a record not yet loaded waits for it), a CRM campaign response
-- that repeats another source's program touch of the same person left out
-- (identified_touchpoints, macros/people_macros.sql)
identified as (

    select
        touches.*,
        {{ row_fingerprint(compared_columns | reject('equalto', 'touchpoint_id') | list) }}
            as inputs_fingerprint
    from {{ identified_touchpoints() }} as touches

),

{%- if is_incremental() %}
{{- require_stored_column('inputs_fingerprint') }}

-- every identified touch beside its stored fingerprint: new (no stored row), changed (a column
-- it was computed from differs: another fingerprint) or vanished (no identified touch: a
-- tombstone, all but its touchpoint_id null, which the post-hook deletes)
compared as (

    select
        coalesce(identified.touchpoint_id, stored.touchpoint_id) as touchpoint_id,
        {%- for column in carried_columns if column != 'touchpoint_id' %}
        identified.{{ column }},
        {%- endfor %}
        stored.touchpoint_id is null
        or identified.touchpoint_id is null
        or identified.inputs_fingerprint <> stored.inputs_fingerprint as is_new_changed_or_vanished
    from identified
    full outer join (
        select touchpoint_id, inputs_fingerprint from {{ this }}
    ) as stored
        on stored.touchpoint_id = identified.touchpoint_id

),

{%- endif %}

to_parse as (

    {%- if is_incremental() %}
    select {{ carried_columns | join(', ') }}
    from compared
    where is_new_changed_or_vanished
    {%- else %}
    select * from identified
    {%- endif %}

),

-- each parameter as sent, then decoded in its own step (url_decode reads its argument twice)
captured as (

    select
        {{ carried_columns | join(',\n        ') }},
        {%- for field in query_fields %}
        {{ query_param('query_string', field) }} as {{ field }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from to_parse

),

decoded as (

    select
        {{ carried_columns | join(',\n        ') }},
        {%- for field in query_fields %}
        {{ url_decode(field) }} as {{ field }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from captured

),

-- the UTM values without control and formatting characters (macros/visitor_text.sql)
visible as (

    select
        decoded.*,
        {%- for field in visitor_text_fields %}
        {{ visible_text(field) }} as {{ field }}__visible{% if not loop.last %},{% endif %}
        {%- endfor %}
    from decoded

),

cleaned as (

    select
        visible.*,
        {%- for field in visitor_text_fields %}
        {{ visitor_text_value(field ~ '__visible') }} as {{ field }}__value{% if not loop.last %},{% endif %}
        {%- endfor %}
    from visible

)

select
    touchpoint_id,
    person_id,
    source_system,
    source_record_id,
    touched_at,
    touch_type,
    query_string,
    {%- for field in query_fields %}
    {%- if field in visitor_text_fields %}
    {{ field }}__value as {{ field }},
    {%- else %}
    {{ field }},
    {%- endif %}
    {%- endfor %}
    program_id,
    program_name,
    program_channel,
    nullif(concat_ws('; ',
        {%- for field in visitor_text_fields %}
        {{ visitor_text_correction(field, field, field ~ '__visible', field ~ '__value') }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    ), '') as visitor_text_corrections,
    -- when this row was parsed: the start of the run that wrote it (int_touchpoints_channeled
    -- takes the rows parsed since its own last run)
    {{ run_started_timestamp() }} as parsed_at,
    inputs_fingerprint
from cleaned
