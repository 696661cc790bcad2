{#
    Cost per stage by month, at two grains in one table: `dimension = 'channel'` (spend's
    channel, the people's original channel, the credited touch's channel) and
    `dimension = 'campaign_key'` (the same by campaign). A row exists when the month has spend,
    a stage entry (period view: people whose entry into the stage falls in the month, implied
    entries included) or non-zero attributed pipeline or won revenue of the default attribution
    model (opportunities created in the month). Ratios are null when their denominator is 0.
    `romi` = (attributed_won_revenue x var `gross_margin` - spend) / spend.
    The certified cost_per_stage_<channel|campaign>_monthly tables are its two halves.
#}
{%- set dimensions = [('channel', 'original_channel'), ('campaign_key', 'original_campaign_key')] -%}
{%- set stages = [('lead', 'leads', 'cpl'), ('mql', 'mqls', 'cost_per_mql'), ('sql', 'sqls', 'cost_per_sql'),
                  ('opportunity', 'opportunities', 'cost_per_opportunity'), ('customer', 'customers', 'cac')] -%}

with

spend as (

    {% for dimension, _ in dimensions -%}
    select
        {{ month_start('spend_date') }} as month,
        '{{ dimension }}' as dimension,
        {{ dimension }} as dimension_value,
        sum(spend) as spend
    from {{ ref('fct_spend_daily') }}
    group by 1, 2, 3
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

entries as (

    {% for dimension, person_dimension in dimensions -%}
    select
        {{ month_start('entries.entered_date') }} as month,
        '{{ dimension }}' as dimension,
        people.{{ person_dimension }} as dimension_value,
        {%- for stage, count_name, _ in stages %}
        sum(case when entries.stage = '{{ stage }}' then 1 else 0 end) as {{ count_name }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('fct_stage_entries') }} as entries
    inner join {{ ref('dim_people') }} as people
        on people.person_id = entries.person_id
    group by 1, 2, 3
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

attributed as (

    {% for dimension, _ in dimensions -%}
    select
        created_month as month,
        '{{ dimension }}' as dimension,
        {{ dimension }} as dimension_value,
        sum(attributed_pipeline) as attributed_pipeline,
        sum(attributed_won_revenue) as attributed_won_revenue
    from {{ ref('fct_attribution_credits') }}
    where attribution_model = '{{ var("default_attribution_model") }}'
        and credit <> 0
    group by 1, 2, 3
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

keys as (

    select month, dimension, dimension_value from spend
    union
    select month, dimension, dimension_value from entries
    union
    select month, dimension, dimension_value from attributed

),

joined as (

    select
        keys.month,
        keys.dimension,
        keys.dimension_value,
        coalesce(spend.spend, 0) as spend,
        {%- for _, count_name, _ in stages %}
        coalesce(entries.{{ count_name }}, 0) as {{ count_name }},
        {%- endfor %}
        coalesce(attributed.attributed_pipeline, 0) as attributed_pipeline,
        coalesce(attributed.attributed_won_revenue, 0) as attributed_won_revenue
    from keys
    left join spend
        on spend.month = keys.month
        and spend.dimension = keys.dimension
        and spend.dimension_value = keys.dimension_value
    left join entries
        on entries.month = keys.month
        and entries.dimension = keys.dimension
        and entries.dimension_value = keys.dimension_value
    left join attributed
        on attributed.month = keys.month
        and attributed.dimension = keys.dimension
        and attributed.dimension_value = keys.dimension_value

)

select
    month,
    cast(dimension as {{ dbt.type_string() }}) as dimension,
    cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
    cast(spend as double precision) as spend,
    {%- for _, count_name, _ in stages %}
    cast({{ count_name }} as bigint) as {{ count_name }},
    {%- endfor %}
    {%- for _, count_name, cost_name in stages %}
    cast(case when {{ count_name }} = 0 then null else spend / {{ count_name }} end as double precision)
        as {{ cost_name }},
    {%- endfor %}
    cast('{{ var("default_attribution_model") }}' as {{ dbt.type_string() }}) as attribution_model,
    cast(attributed_pipeline as double precision) as attributed_pipeline,
    cast(attributed_won_revenue as double precision) as attributed_won_revenue,
    cast(case when spend = 0 then null else attributed_pipeline / spend end as double precision)
        as pipeline_roi,
    cast(case when spend = 0 then null else attributed_won_revenue / spend end as double precision)
        as roas,
    -- the share of won revenue that is gross profit, as romi used it (var `gross_margin`)
    cast({{ var('gross_margin') }} as double precision) as gross_margin,
    -- return on marketing investment: the gross profit of the attributed won revenue, less spend
    cast(
        case
            when spend = 0 then null
            else (attributed_won_revenue * {{ var('gross_margin') }} - spend) / spend
        end as double precision
    ) as romi
from joined
