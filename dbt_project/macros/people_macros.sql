{#
    Macros of the people, lifecycle and touchpoint models. Adapter-specific SQL goes through
    a dispatched macro here (or in cross_database.sql), so the models build on DuckDB and Postgres.
#}

{# The canonical lifecycle stages in funnel order (stage_order = position, from 1). #}
{% macro canonical_stages() -%}
    {{ return(['lead', 'mql', 'sql', 'opportunity', 'customer']) }}
{%- endmacro %}

{# The canonical stages as rows (stage, stage_order): a select to use as a CTE body. #}
{% macro canonical_stage_rows() -%}
    {%- for stage in canonical_stages() %}
    select '{{ stage }}' as stage, {{ loop.index }} as stage_order
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#
    One row per element of a delimited text (`'a;b'` -> two rows): a set-returning expression
    for a select list. Empty elements are the caller's to drop.
#}
{% macro split_to_rows(expr, delimiter) -%}{{ return(adapter.dispatch('split_to_rows')(expr, delimiter)) }}{%- endmacro %}
{% macro default__split_to_rows(expr, delimiter) -%}unnest(string_split({{ expr }}, '{{ delimiter }}')){%- endmacro %}
{% macro postgres__split_to_rows(expr, delimiter) -%}unnest(string_to_array({{ expr }}, '{{ delimiter }}')){%- endmacro %}

{#
    The email key of a person: lower(trim(email)) when it is a valid address, else null
    (docs/certified_tables.md, People and identity).
#}
{% macro normalized_email(email) -%}
    case
        when {{ regex_full_match('lower(trim(' ~ email ~ '))', '[^@\\s]+@[^@\\s]+[.][^@\\s]+') }}
            then lower(trim({{ email }}))
    end
{%- endmacro %}

{#
    The first matching `channel_rules` row of each subject, by ascending priority.

    `field_values` is a relation (or CTE) of (subject_id, match_field, field_value): one row per
    field a subject has (`utm_medium`, `gclid`, `program_channel`, `hs_analytics_source`, ...).
    A `present` rule matches a value that is not empty after trim; an `equals` rule compares
    lower(trim()) of both sides. Returns (subject_id, matched_priority, channel) for the
    subjects some rule matches; the caller chooses the fallback (`direct` for touches,
    `unknown` for CRM sources). Both joins are equality joins, so this scales with
    subjects x fields, not subjects x rules.
#}
{% macro first_matching_channel_rule(field_values) -%}
    select subject_id, matched_priority, channel
    from (
        select
            matches.subject_id,
            matches.priority as matched_priority,
            matches.channel,
            row_number() over (
                partition by matches.subject_id order by matches.priority
            ) as match_rank
        from (
            select fv.subject_id, rules.priority, rules.channel
            from {{ field_values }} as fv
            inner join {{ ref('channel_rules') }} as rules
                on lower(trim(rules.match_field)) = fv.match_field
            where
                lower(trim(rules.match_type)) = 'present'
                and coalesce(trim(fv.field_value), '') <> ''

            union all

            select fv.subject_id, rules.priority, rules.channel
            from {{ field_values }} as fv
            inner join {{ ref('channel_rules') }} as rules
                on
                    lower(trim(rules.match_field)) = fv.match_field
                    and lower(trim(cast(rules.match_value as {{ dbt.type_string() }})))
                    = lower(trim(fv.field_value))
            where
                lower(trim(rules.match_type)) = 'equals'
                and coalesce(trim(fv.field_value), '') <> ''
        ) as matches
    ) as ranked
    where match_rank = 1
{%- endmacro %}

{#
    The conformed shape of a touchpoint, the registry entity `touchpoints`: what every source's
    touchpoint staging model selects and int_touchpoints_unioned unions, as (column, type)
    pairs for `union_sources`. `touchpoint_id` is `<source>-<source id>`, unique across sources
    and ordered as the source orders its touches (the tie-break of "first touch");
    `source_record_id` is the person record (of the same source) the touch belongs to;
    `query_string` the raw URL query (`a=1&b=2`) or null; `program_id` the source's own program
    or campaign the touch belongs to (campaign key `<source_system>:<program_id>`) or null.
#}
{% macro touchpoint_columns() -%}
    {{ return([
        ('touchpoint_id', 'string'),
        ('source_system', 'string'),
        ('source_record_id', 'string'),
        ('touched_at', 'timestamptz'),
        ('touch_type', 'string'),
        ('query_string', 'string'),
        ('program_id', 'string'),
        ('program_name', 'string'),
        ('program_channel', 'string'),
    ]) }}
{%- endmacro %}

{#
    The touchpoints of every enabled source with the person of their record, as a subquery: a
    touch of a record not (yet) loaded has no person and waits for it. A CRM's campaign response
    (touch type `campaign_response`, e.g. a Salesforce campaign member) that the same person
    holds as another touch of a program of the same name (lower(trim()); Marketo's program sync
    names the Salesforce campaign after the program) is that touch: dropped, the other kept, so
    the synced membership counts once. Campaign responses are a CRM's touch type (registry kind
    `crm`): with no enabled CRM staging touches, there is nothing to leave out and the touches
    are read once instead of three times.
#}
{% macro identified_touchpoints() -%}
(
    with

    staged as (

        {{ union_sources('touchpoints', touchpoint_columns()) }}

    ),

    identified as (

        select
            staged.touchpoint_id,
            person_records.person_id,
            staged.source_system,
            staged.source_record_id,
            staged.touched_at,
            staged.touch_type,
            staged.query_string,
            staged.program_id,
            staged.program_name,
            staged.program_channel
        from staged
        inner join {{ ref('int_person_records') }} as person_records
            on
                person_records.source_system = staged.source_system
                and person_records.source_record_id = staged.source_record_id

    )

    {%- if sources_holding('touchpoints', kind='crm') | length == 0 %}

    -- no enabled CRM stages touches, so there is no campaign response to leave out (the
    -- identified touches are read once, not three times)
    select * from identified

    {%- else %},

    -- the programs the people with a campaign response hold as touches of their own kind
    held_programs as (

        select distinct person_id, lower(trim(program_name)) as program_key
        from identified
        where
            touch_type <> 'campaign_response'
            and program_name is not null
            and person_id in (
                select person_id from identified where touch_type = 'campaign_response'
            )

    )

    select identified.*
    from identified
    where
        identified.touch_type <> 'campaign_response'
        or not exists (
            select 1
            from held_programs
            where
                held_programs.person_id = identified.person_id
                and held_programs.program_key = lower(trim(identified.program_name))
        )
    {%- endif %}
)
{%- endmacro %}
