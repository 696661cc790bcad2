{#
    Cohort view: per month of the lead date (reporting time zone) and original channel, the
    cohort's leads, how many of them reached each later stage as of the run, the conversion
    ratios and the median days between stages.
#}
{%- set pairs = [('lead', 'mql'), ('mql', 'sql'), ('sql', 'opportunity'),
                 ('opportunity', 'customer'), ('lead', 'opportunity'), ('lead', 'customer')] -%}

with

stage_entries as (

    select * from {{ ref('fct_stage_entries') }}

),

people as (

    select person_id, original_channel from {{ ref('dim_people') }}

),

-- one row per person with a lead date, their stage entries side by side
people_entries as (

    select
        stage_entries.person_id,
        people.original_channel,
        {%- for stage in canonical_stages() %}
        max(case when stage_entries.stage = '{{ stage }}' then stage_entries.entered_at end)
            as {{ stage }}_at,
        {%- endfor %}
        max(case when stage_entries.stage = 'lead' then stage_entries.entered_date end)
            as lead_date
    from stage_entries
    inner join people
        on people.person_id = stage_entries.person_id
    group by stage_entries.person_id, people.original_channel

),

cohort_people as (

    select
        {{ month_start('lead_date') }} as cohort_month,
        original_channel,
        {%- for stage in canonical_stages() %}
        {{ stage }}_at,
        {%- endfor %}
        {%- for a, b in pairs %}
        case
            when {{ b }}_at is not null
                then {{ days_between(a ~ '_at', b ~ '_at') }}
        end as days_{{ a }}_to_{{ b }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from people_entries
    where lead_at is not null

),

cohorts as (

    select
        cohort_month,
        original_channel,
        count(*) as leads,
        {%- for stage in canonical_stages()[1:] %}
        count({{ stage }}_at) as reached_{{ stage }},
        {%- endfor %}
        {%- for a, b in pairs %}
        {{ median('days_' ~ a ~ '_to_' ~ b) }} as median_days_{{ a }}_to_{{ b }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from cohort_people
    group by cohort_month, original_channel

)

{%- set reached = {'lead': 'leads', 'mql': 'reached_mql', 'sql': 'reached_sql',
                   'opportunity': 'reached_opportunity', 'customer': 'reached_customer'} %}

select
    cast(cohort_month as date) as cohort_month,
    cast(original_channel as {{ dbt.type_string() }}) as channel,
    cast(leads as bigint) as leads,
    {%- for stage in canonical_stages()[1:] %}
    cast(reached_{{ stage }} as bigint) as reached_{{ stage }},
    {%- endfor %}
    {%- for a, b in pairs %}
    cast({{ reached[b] }} as double precision) / nullif({{ reached[a] }}, 0) as conv_{{ a }}_to_{{ b }},
    {%- endfor %}
    {%- for a, b in pairs %}
    cast(median_days_{{ a }}_to_{{ b }} as double precision) as median_days_{{ a }}_to_{{ b }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
from cohorts
