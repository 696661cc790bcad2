{#
    Marketo programs as certified campaigns (registry entity `program_campaigns`, unioned by
    dim_campaigns): campaign key `marketo:<program_id>`, account `marketo`, channel from the
    program channel through `channel_rules` (Webinar, Tradeshow -> events; Email Send -> email;
    nothing matching -> direct, as for touches), currency the instance's (`marketo_currency`,
    USD: Marketo reports program costs without one).
#}
with

programs as (

    select * from {{ ref('stg_marketo__programs') }}

),

program_fields as (

    select
        program_id as subject_id,
        'program_channel' as match_field,
        program_channel as field_value
    from programs

),

program_channels as (

    {{ first_matching_channel_rule('program_fields') }}

)

select
    'marketo' as platform,
    cast(programs.program_id as {{ dbt.type_string() }}) as campaign_id,
    programs.program_name as campaign_name,
    coalesce(program_channels.channel, 'direct') as channel,
    'marketo' as account_id,
    cast(null as {{ dbt.type_string() }}) as account_timezone,
    '{{ var("marketo_currency", "USD") }}' as currency,
    programs.program_channel,
    programs.program_type
from programs
left join program_channels
    on program_channels.subject_id = programs.program_id
