{#
    Period (flow) view: per reporting day and original channel, the people whose monotone
    entry into each stage falls on that day. Sparse: a row exists when someone entered some
    stage that day in that channel.
#}
with

stage_entries as (

    select * from {{ ref('fct_stage_entries') }}

),

people as (

    select person_id, original_channel from {{ ref('dim_people') }}

),

entries as (

    select
        stage_entries.entered_date,
        people.original_channel,
        stage_entries.stage
    from stage_entries
    inner join people
        on people.person_id = stage_entries.person_id

)

select
    cast(entered_date as date) as date,
    cast(original_channel as {{ dbt.type_string() }}) as channel,
    {%- for stage in canonical_stages() %}
    cast(sum(case when stage = '{{ stage }}' then 1 else 0 end) as bigint) as entered_{{ stage }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
from entries
group by entered_date, original_channel
