{#
    Every campaign that can carry spend or touches: ad platform campaigns and Marketo programs,
    keyed by the certified campaign key (`<platform>:<campaign_id>`, `marketo:<program_id>`).
#}

with

ad_campaigns as (

    select
        campaign_key, platform, campaign_id, campaign_name, channel, account_id,
        account_timezone, currency,
        cast(null as {{ dbt.type_string() }}) as program_channel,
        cast(null as {{ dbt.type_string() }}) as program_type
    from {{ ref('int_ad_campaigns') }}

),

program_fields as (

    select
        program_id as subject_id,
        'program_channel' as match_field,
        program_channel as field_value
    from {{ ref('stg_marketo__programs') }}

),

program_channels as (

    {{ first_matching_channel_rule('program_fields') }}

),

programs as (

    select
        'marketo:' || cast(programs.program_id as {{ dbt.type_string() }}) as campaign_key,
        'marketo' as platform,
        cast(programs.program_id as {{ dbt.type_string() }}) as campaign_id,
        programs.program_name as campaign_name,
        coalesce(program_channels.channel, 'direct') as channel,
        'marketo' as account_id,
        cast(null as {{ dbt.type_string() }}) as account_timezone,
        '{{ var("marketo_currency", "USD") }}' as currency,
        programs.program_channel,
        programs.program_type
    from {{ ref('stg_marketo__programs') }} as programs
    left join program_channels
        on program_channels.subject_id = programs.program_id

)

select * from ad_campaigns
union all
select * from programs
