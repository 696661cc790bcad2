{#
    One row per touchpoint: a marketing interaction of one person, with channel and campaign.
    Incremental by touchpoint (macros/incremental_macros.sql): a run rewrites the touchpoints
    that int_touchpoints_channeled wrote since this model's last run (`channeled_at`: new
    touches, activity history attached late included, and changed ones: a person's identity
    after a merge, a channel or campaign key), with those whose stored date differs from the
    one the reporting time zone now gives (`stored_value_differs`), and deletes those that are
    gone.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='touchpoint_id',
    on_schema_change='fail',
    post_hook="{{ delete_rows_gone_from(ref('int_touchpoints_channeled'), 'touchpoint_id') }}",
) }}

with

touchpoints as (

    select
        touchpoint_id,
        person_id,
        touched_at,
        {{ to_reporting_date('touched_at') }} as touched_date,
        channel,
        campaign_key,
        source_system,
        touch_type,
        channeled_at
    from {{ ref('int_touchpoints_channeled') }}
    {%- if is_incremental() %}
    where
        {{ stamped_since('channeled_at') }}
        or {{ stored_value_differs('touchpoint_id', 'touched_date', to_reporting_date('touched_at')) }}
    {%- endif %}

)

select * from touchpoints
