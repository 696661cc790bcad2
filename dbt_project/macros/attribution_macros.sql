{#
    The credit of every eligible touch in every attribution model (zero credits included), or
    one `unattributed` credit of 1 per model for an opportunity without an eligible touch: the
    rules of int_attribution_credits_modeled (whose header states them), as one select over
    `eligible` (rows of int_attribution_touches_eligible) and `opportunities` (rows of
    int_opportunities_converted: the opportunity ids), each a relation or the name of a CTE
    of the calling model. int_attribution_credits_modeled applies it to every opportunity;
    fct_attribution_credits to the opportunities whose inputs changed.
#}
{% macro attribution_credits(eligible, opportunities) -%}
    {%- set half_life = var('time_decay_half_life_days') %}

    with

    models as (

        {% for model in attribution_models() -%}
        select '{{ model }}' as attribution_model, {{ loop.index }} as model_order
        {% if not loop.last %}union all
        {% endif %}
        {%- endfor %}

    ),

    touches as (

        select
            eligible.*,
            case when touch_rank = 1 then 1 else 0 end as is_first,
            case when touch_rank = touch_count then 1 else 0 end as is_last,
            case when touch_rank = lead_touch_rank then 1 else 0 end as is_lead_creation,
            case
                when touch_rank = 1 or touch_rank = touch_count or touch_rank = lead_touch_rank
                    then 1
                else 0
            end as holds_role,
            -- distinct role holders among t1, L, tn (n >= 2, so t1 and tn differ)
            case
                when lead_touch_rank = 1 or lead_touch_rank = touch_count then 2
                else 3
            end as role_holders,
            power(cast(2 as double precision), -1.0 * age_days / {{ half_life }}) as decay_weight
        from {{ eligible }} as eligible

    ),

    decay_totals as (

        select opportunity_id, sum(decay_weight) as decay_total
        from touches
        group by opportunity_id

    ),

    touch_credits as (

        select
            touches.opportunity_id,
            models.attribution_model,
            touches.touchpoint_id,
            touches.touched_at,
            touches.channel,
            touches.campaign_key,
            touches.touch_rank,
            touches.touch_count,
            case models.attribution_model
                when 'first_touch' then cast(touches.is_first as double precision)
                when 'last_touch' then cast(touches.is_last as double precision)
                when 'linear' then 1.0 / touches.touch_count
                when 'position_based' then
                    case
                        when touches.touch_count = 1 then 1.0
                        when touches.touch_count = 2 then 0.5
                        when touches.is_first = 1 or touches.is_last = 1 then 0.4
                        else 0.2 / (touches.touch_count - 2)
                    end
                when 'w_shaped' then
                    case
                        when touches.touch_count = 1 then 1.0
                        else
                            0.3 * (touches.is_first + touches.is_lead_creation + touches.is_last)
                            + case
                                when touches.role_holders = touches.touch_count
                                    then 0.1 / touches.role_holders
                                when touches.holds_role = 0
                                    then 0.1 / (touches.touch_count - touches.role_holders)
                                else 0.0
                            end
                    end
                when 'time_decay' then touches.decay_weight / decay_totals.decay_total
            end as credit
        from touches
        inner join decay_totals
            on decay_totals.opportunity_id = touches.opportunity_id
        cross join models

    ),

    unattributed as (

        select
            opportunities.opportunity_id,
            models.attribution_model,
            cast(null as {{ dbt.type_string() }}) as touchpoint_id,
            cast(null as timestamp with time zone) as touched_at,
            'unattributed' as channel,
            '(none)' as campaign_key,
            cast(null as bigint) as touch_rank,
            cast(0 as bigint) as touch_count,
            1.0 as credit
        from {{ opportunities }} as opportunities
        cross join models
        where not exists (
            select 1
            from touches
            where touches.opportunity_id = opportunities.opportunity_id
        )

    ),

    unioned as (

        select * from touch_credits
        union all
        select * from unattributed

    )

    select
        opportunity_id,
        attribution_model,
        touchpoint_id,
        touched_at,
        channel,
        campaign_key,
        touch_rank,
        touch_count,
        cast(credit as double precision) as credit
    from unioned
{%- endmacro %}
