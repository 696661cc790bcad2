{#
    Every touch with its channel and campaign key (docs/certified_tables.md, Touchpoints,
    channels, campaigns).

    Channel: the first `channel_rules` row by ascending priority that matches one of the
    touch's fields (the query parameters of int_touchpoints_unioned and `program_channel`);
    nothing matches -> direct. A rule on another query parameter needs that parameter
    extracted in int_touchpoints_unioned first.

    Campaign key: a program touch -> `<source_system>:<program_id>` (the key the source's
    program costs carry); a utm_campaign equal, after lower(trim()), to an ad campaign's id or
    name (int_ad_campaigns; an id match wins over a name match) -> that campaign's
    `<platform>:<campaign_id>`; any other utm_campaign is kept as int_touchpoints_unioned
    cleaned it (rule `visitor_text_clean`), except a bare number of 9 to 15 digits: it names no
    known campaign, so it may be a phone number -> `(redacted phone)`; no campaign -> `(none)`.
    Without an enabled ad source no utm_campaign matches an ad campaign.

    `visitor_text_corrections` says what the rule changed in the touch's UTM values and
    campaign key (quarantine_records lists each such touch as `corrected`).

    Incremental by touchpoint (delete+insert on touchpoint_id): a run channels the touches
    int_touchpoints_unioned parsed since this model's last run (`parsed_at`, kept here; `channeled_at`
    is the start of the run that channeled the row), and
    every touch again when the rules it applies changed: `rules_fingerprint` is an md5 of the
    `channel_rules` rows and of the ad campaign ids and names it matches (macros/
    incremental_macros.sql, `rows_fingerprint`). The post-hook deletes the touches that are gone
    from int_touchpoints_unioned. A change of this SQL itself (or of `bare_phone_number`) needs
    `dbt build --full-refresh`.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='touchpoint_id',
    on_schema_change='fail',
    post_hook="{{ delete_rows_gone_from(ref('int_touchpoints_unioned'), 'touchpoint_id') }}",
) }}
{%- set rule_fields = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content',
                       'gclid', 'msclkid', 'fbclid', 'li_fat_id', 'program_channel'] -%}

with

-- what the channel and campaign key of a touch are computed from, besides the touch
rules_fingerprint as (

    select md5(
        ({{ rows_fingerprint(ref('channel_rules'), ['priority', 'match_field', 'match_type', 'match_value', 'channel']) }})
        || ({{ rows_fingerprint(ref('int_ad_campaigns'), ['campaign_key', 'campaign_id', 'campaign_name']) }})
    ) as fingerprint

),

touches as (

    select * from {{ ref('int_touchpoints_unioned') }}
    {%- if is_incremental() %}
    where
        {{ stamped_since('parsed_at') }}
        or (select max(rules_fingerprint) from {{ this }})
        <> (select fingerprint from rules_fingerprint)
    {%- endif %}

),

-- which rule fields an `equals` rule reads (1) or only `present` rules can (0): one row
equals_fields as (

    select
        {%- for field in rule_fields %}
        coalesce(max(case when lower(trim(match_field)) = '{{ field }}' then 1 end), 0)
            as {{ field }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('channel_rules') }}
    where lower(trim(match_type)) = 'equals'

),

{#-
    The channel depends on a touch's rule fields only as the rules read them: lower(trim())
    of a field some `equals` rule reads, and of any other field only whether it is present
    (a click id is a different token on every click). Touches that agree on those share one
    channel signature (a few hundred at 100,000 people, against 800,000 touches), so the
    rules are matched once per signature, not once per touch. The signature's key is
    `length_prefixed_text` of its values, so two different signatures never share a key.
-#}
signed as (

    select
        touches.*,
        {%- for field in rule_fields %}
        case
            when equals_fields.{{ field }} = 1 then lower(trim(touches.{{ field }}))
            when coalesce(trim(touches.{{ field }}), '') <> '' then 'present'
        end as {{ field }}__signed{% if not loop.last %},{% endif %}
        {%- endfor %}
    from touches
    cross join equals_fields

),

keyed as (

    select
        signed.*,
        {% set signed_fields = [] -%}
        {%- for field in rule_fields %}{% do signed_fields.append(field ~ '__signed') %}{% endfor -%}
        {{ length_prefixed_text(signed_fields) }} as channel_signature
    from signed

),

signatures as (

    select distinct
        channel_signature,
        {%- for field in rule_fields %}
        {{ field }}__signed as {{ field }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from keyed

),

field_values as (

    {%- for field in rule_fields %}
    select channel_signature as subject_id, '{{ field }}' as match_field, {{ field }} as field_value
    from signatures
    where {{ field }} is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

channels as (

    {{ first_matching_channel_rule('field_values') }}

),

ad_campaign_texts as (

    select lower(trim(campaign_id)) as match_text, campaign_key, 1 as match_rank
    from {{ ref('int_ad_campaigns') }}
    union all
    select lower(trim(campaign_name)) as match_text, campaign_key, 2 as match_rank
    from {{ ref('int_ad_campaigns') }}

),

ad_campaign_matches as (

    select match_text, campaign_key
    from (
        select
            match_text,
            campaign_key,
            row_number() over (
                partition by match_text order by match_rank, campaign_key
            ) as preference
        from ad_campaign_texts
        where match_text is not null and match_text <> ''
    ) as ranked
    where preference = 1

)

select
    touches.touchpoint_id,
    touches.person_id,
    touches.source_system,
    touches.source_record_id,
    touches.touched_at,
    touches.touch_type,
    coalesce(channels.channel, 'direct') as channel,
    channels.matched_priority as channel_rule_priority,
    case
        when touches.program_id is not null
            then touches.source_system || ':' || cast(touches.program_id as {{ dbt.type_string() }})
        when touches.utm_campaign is null or trim(touches.utm_campaign) = '' then '(none)'
        when ad_campaign_matches.campaign_key is not null then ad_campaign_matches.campaign_key
        when {{ bare_phone_number('touches.utm_campaign') }} then {{ redacted('phone') }}
        else touches.utm_campaign
    end as campaign_key,
    touches.program_id,
    touches.utm_source,
    touches.utm_medium,
    touches.utm_campaign,
    nullif(concat_ws('; ',
        touches.visitor_text_corrections,
        case
            when
                touches.program_id is null
                and ad_campaign_matches.campaign_key is null
                and {{ bare_phone_number('touches.utm_campaign') }}
                then 'campaign key: a bare number of '
                    || cast(length(touches.utm_campaign) as {{ dbt.type_string() }})
                    || ' digits that names no ad campaign replaced by ' || {{ redacted('phone') }}
        end
    ), '') as visitor_text_corrections,
    touches.parsed_at,
    {{ run_started_timestamp() }} as channeled_at,
    (select fingerprint from rules_fingerprint) as rules_fingerprint
from keyed as touches
left join channels
    on channels.subject_id = touches.channel_signature
left join ad_campaign_matches
    on ad_campaign_matches.match_text = lower(trim(touches.utm_campaign))
