{#
    One row per opportunity, attribution model and eligible touch (zero credits included), or
    the opportunity's single `unattributed` credit per model; with the credited pipeline and won
    revenue in reporting currency, in the month the opportunity was created.
    Incremental by opportunity (macros/incremental_macros.sql): an opportunity's credits
    depend on all its eligible touches, so a run rewrites every credit of each opportunity
    whose inputs changed (a new or revised deal, a deal closing, a touch or a person joining
    it, a lead date moving) and deletes the opportunities that are gone (archived deals); the
    credits of every other opportunity stay as stored. What changed is found from the inputs,
    not by comparing the credits (six rows per touch): `inputs_fingerprint`, stored on each
    credit, is an md5 of everything the opportunity's credits are computed from (its row of
    int_opportunities_converted, its eligible touches in rank order, and the code: this
    model's SQL and the credit rules `attribution_credits` as rendered, the attribution
    models and the time-decay half-life written in, so a change of any recomputes every
    opportunity), and a run recomputes the opportunities whose fingerprint differs from the
    stored one, applying the credit rules to their eligible touches only. An opportunity gone is
    written as a tombstone (credit null) and deleted by the post-hook in the same
    run.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='opportunity_id',
    on_schema_change='fail',
    post_hook="{{ delete_tombstones('credit') }}",
) }}
{%- set opportunity_columns = ['opportunity_id', 'created_at', 'created_month', 'amount_reporting', 'is_won'] %}
{%- set touch_columns = ['touchpoint_id', 'created_at', 'touched_at', 'channel', 'campaign_key',
                         'lead_at', 'touch_rank', 'touch_count', 'lead_touch_rank', 'age_days'] %}
{%- set credit_columns = ['opportunity_id', 'attribution_model', 'touchpoint_id', 'touched_at',
                          'channel', 'campaign_key', 'touch_rank', 'touch_count', 'credit',
                          'created_at', 'created_month', 'amount_reporting', 'is_won',
                          'attributed_pipeline', 'attributed_won_revenue', 'inputs_fingerprint'] %}
{#- what the credits are computed from besides the rows: the SQL of this model and of the
    credit rules as rendered (the attribution models and the half-life written in) -#}
{%- set code_version = model.raw_code ~ '|' ~ attribution_credits('eligible', 'opportunities') %}

with

opportunities as (

    select {{ opportunity_columns | join(', ') }}
    from {{ ref('int_opportunities_converted') }}

),

-- the opportunity's eligible touches as one text, in rank order
touch_digests as (

    select
        opportunity_id,
        md5(string_agg({{ length_prefixed_text(touch_columns) }}, '\n' order by touch_rank))
            as touches_digest
    from {{ ref('int_attribution_touches_eligible') }}
    group by opportunity_id

),

inputs as (

    select
        opportunities.opportunity_id,
        md5(
            {{ length_prefixed_text(opportunity_columns | map('replace', 'opportunity_id', 'opportunities.opportunity_id') | list + ['touch_digests.touches_digest']) }}
            || '|{{ local_md5(code_version) }}'
        ) as inputs_fingerprint
    from opportunities
    left join touch_digests
        on touch_digests.opportunity_id = opportunities.opportunity_id

),

{%- if is_incremental() %}
{{- require_stored_column('inputs_fingerprint') }}

-- each opportunity beside its stored fingerprint: new, changed or gone (no inputs left)
changed as (

    select
        coalesce(inputs.opportunity_id, stored.opportunity_id) as opportunity_id,
        inputs.opportunity_id is null as is_gone
    from inputs
    full outer join (
        select distinct stored_credits.opportunity_id, stored_credits.inputs_fingerprint
        from {{ this }} as stored_credits
    ) as stored
        on stored.opportunity_id = inputs.opportunity_id
    where
        inputs.opportunity_id is null
        or stored.opportunity_id is null
        or inputs.inputs_fingerprint <> stored.inputs_fingerprint

),

{%- endif %}

-- the eligible touches and the opportunities whose credits this run computes
touches_to_credit as (

    select * from {{ ref('int_attribution_touches_eligible') }}
    {%- if is_incremental() %}
    where opportunity_id in (select opportunity_id from changed where not is_gone)
    {%- endif %}

),

opportunities_to_credit as (

    select opportunity_id from opportunities
    {%- if is_incremental() %}
    where opportunity_id in (select opportunity_id from changed where not is_gone)
    {%- endif %}

),

credits as (

    select
        credits.opportunity_id,
        credits.attribution_model,
        credits.touchpoint_id,
        credits.touched_at,
        credits.channel,
        credits.campaign_key,
        credits.touch_rank,
        credits.touch_count,
        credits.credit,
        opportunities.created_at,
        opportunities.created_month,
        opportunities.amount_reporting,
        opportunities.is_won,
        credits.credit * opportunities.amount_reporting as attributed_pipeline,
        case
            when opportunities.is_won then credits.credit * opportunities.amount_reporting
            else 0
        end as attributed_won_revenue,
        inputs.inputs_fingerprint
    -- the credit rules (macros/attribution_macros.sql), as int_attribution_credits_modeled
    from (
        {{ attribution_credits('touches_to_credit', 'opportunities_to_credit') }}
    ) as credits
    inner join opportunities
        on opportunities.opportunity_id = credits.opportunity_id
    inner join inputs
        on inputs.opportunity_id = credits.opportunity_id

)

select * from credits
{%- if is_incremental() %}
union all
-- an opportunity gone: a tombstone over its stored credits, deleted by the post-hook
select {{ tombstone_columns(credit_columns, ['opportunity_id']) }}
from changed
where is_gone
{%- endif %}
