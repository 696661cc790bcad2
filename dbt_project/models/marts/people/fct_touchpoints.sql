{#
    One row per touchpoint: a marketing interaction of one person, with channel and campaign.
    Incremental by touchpoint (macros/incremental_macros.sql): a run rewrites the touchpoints
    that are new (activity history attached late included) or changed (a person's identity
    after a merge, a channel or campaign key), and deletes those that are gone.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='touchpoint_id',
    on_schema_change='fail',
    post_hook="{{ delete_vanished_partitions(['touchpoint_id'], [(ref('int_touchpoints_channeled'), ['touchpoint_id'])]) }}",
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
        touch_type
    from {{ ref('int_touchpoints_channeled') }}

)

select * from touchpoints
{{ changed_partitions('touchpoints', ['touchpoint_id']) }}
