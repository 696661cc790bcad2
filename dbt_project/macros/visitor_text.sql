{#
    Visitor text: what a visitor typed or a link carried (the UTM values of a landing URL or a
    Marketo activity) is made safe to show before any model keys or groups by it. The rule
    `visitor_text_clean` (docs/quality_gate.md), applied by int_touchpoints_unioned to every UTM
    value after `url_decode`:

    1. the control characters (C0 and C1, NUL and DEL included) and the invisible
       bidirectional and formatting characters (U+061C, U+200B-U+200F, U+202A-U+202E,
       U+2066-U+2069, U+FEFF) are removed and the value is trimmed (`visible_text`);
    2. a value that contains an email address, or is a phone number, is replaced by
       `(redacted email)` / `(redacted phone)`: personal data never reaches a certified table
       in clear text (`personal_data_kind`);
    3. any other value longer than the var `visitor_text_max_length` (default 100) is cut to
       it.

    Each value the rule changed (beyond the trim) is listed in quarantine_records as
    `corrected`, saying what kind of value it was and its length, never the value itself
    (`visitor_text_correction`). The cost per value: one regular expression for step 1, a
    `strpos` (and a regular expression only for a text with an `@`) for an email, and an
    anchored one for a phone (a second only for what looks like one).
#}

{#
    The value without control and invisible formatting characters, trimmed. One regex pass
    whatever the characters: the class is spelled per adapter (RE2 on DuckDB, ARE on Postgres,
    whose text cannot hold NUL anyway).
#}
{% macro visible_text(expr) -%}{{ return(adapter.dispatch('visible_text')(expr)) }}{%- endmacro %}
{% macro default__visible_text(expr) -%}
    trim(regexp_replace({{ expr }}, '[\x00-\x1F\x7F-\x9F\x{061C}\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}\x{FEFF}]', '', 'g'))
{%- endmacro %}
{% macro postgres__visible_text(expr) -%}
    trim(regexp_replace({{ expr }}, '[\x01-\x1F\x7F-\x9F\u061C\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]', '', 'g'))
{%- endmacro %}

{#
    `email` when the text contains an email address (something@domain.tld anywhere in it),
    `phone` when the whole text is a phone number, else null. A phone number: 9 to 15 digits
    (E.164 allows 15), optionally led by `+` or `(`, with spaces, dots, dashes or parentheses
    between them, and either a separator or a leading `+` or `0`: a bare number starting with
    1-9 is what ad platforms' campaign and creative ids look like (`utm_campaign={campaignid}`),
    kept here; int_touchpoints_channeled judges it once it is known that it names no campaign.
#}
{% macro personal_data_kind(expr) -%}
    case
        when strpos({{ expr }}, '@') > 0
            and {{ regex_contains(expr, '[^@\\s]@[^@\\s]+[.][A-Za-z]{2,}') }} then 'email'
        when {{ regex_full_match(expr, '[+(]*[0-9]([ ./()-]*[0-9]){8,14}') }}
            and not {{ regex_full_match(expr, '[1-9][0-9]*') }} then 'phone'
    end
{%- endmacro %}

{# the placeholder of a kind of personal data #}
{% macro redacted(kind) -%}'(redacted {{ kind }})'{%- endmacro %}

{# the value of a visible text (`visible_text`) as the models keep it #}
{% macro visitor_text_value(visible) -%}
    case {{ personal_data_kind(visible) }}
        when 'email' then {{ redacted('email') }}
        when 'phone' then {{ redacted('phone') }}
        else left({{ visible }}, {{ var('visitor_text_max_length') | int }})
    end
{%- endmacro %}

{#
    What the rule changed in one value, for a person, or null when it changed nothing but
    spaces at the ends: `<field>: ` then what was removed, replaced or cut, with lengths
    instead of the value. `decoded` is the value after `url_decode`, `visible` after
    `visible_text`, `value` after `visitor_text_value` (columns, each read more than once).
#}
{% macro visitor_text_correction(field, decoded, visible, value) -%}
    {%- set s = dbt.type_string() -%}
    {%- set max_length = var('visitor_text_max_length') | int -%}
    case
        {#- most values come through unchanged: one comparison decides for them #}
        when {{ value }} <> {{ decoded }}
            and ({{ visible }} <> trim({{ decoded }}) or {{ value }} <> {{ visible }})
            then '{{ field }}: ' || concat_ws(', ',
                case when {{ visible }} <> trim({{ decoded }}) then cast(
                    length(replace(trim({{ decoded }}), ' ', '')) - length(replace({{ visible }}, ' ', ''))
                    as {{ s }}) || ' control or formatting character(s) removed'
                end,
                case when {{ value }} in ({{ redacted('email') }}, {{ redacted('phone') }})
                    and {{ value }} <> {{ visible }} then
                    case when {{ value }} = {{ redacted('email') }} then 'a text with an email address'
                        else 'a phone number' end
                    || ' of ' || cast(length({{ visible }}) as {{ s }}) || ' characters replaced by ' || {{ value }}
                end,
                case when {{ value }} not in ({{ redacted('email') }}, {{ redacted('phone') }})
                    and length({{ visible }}) > {{ max_length }} then
                    'cut from ' || cast(length({{ visible }}) as {{ s }}) || ' to {{ max_length }} characters'
                end
            )
    end
{%- endmacro %}

{#
    A bare number of 9 to 15 digits (`personal_data_kind` keeps those starting with 1-9, the
    shape of ad platforms' ids): a phone number unless it names a known campaign, which only
    int_touchpoints_channeled can tell.
#}
{% macro bare_phone_number(expr) -%}
    coalesce({{ regex_full_match(expr, '[0-9]{9,15}') }}, false)
{%- endmacro %}
