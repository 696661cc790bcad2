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
#}
{%- set rule_fields = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content',
                       'gclid', 'msclkid', 'fbclid', 'li_fat_id', 'program_channel'] -%}

with

touches as (

    select * from {{ ref('int_touchpoints_unioned') }}

),

field_values as (

    {%- for field in rule_fields %}
    select touchpoint_id as subject_id, '{{ field }}' as match_field, {{ field }} as field_value
    from touches
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
    ), '') as visitor_text_corrections
from touches
left join channels
    on channels.subject_id = touches.touchpoint_id
left join ad_campaign_matches
    on ad_campaign_matches.match_text = lower(trim(touches.utm_campaign))
