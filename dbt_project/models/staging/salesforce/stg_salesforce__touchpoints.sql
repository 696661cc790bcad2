{#
    Salesforce's marketing touches in the conformed shape of the registry entity `touchpoints`:
    one per campaign member that responded (`HasResponded`) and is not deleted. Salesforce keeps
    one member per campaign and person, with the date of the first response
    (`FirstRespondedDate`, a date): the touch is at the member's creation when it responded that
    day, else at the start of that date in `reporting_timezone` (the later of the two). The
    person is the member's contact, else its lead (a converted lead is merged into its contact).
    The campaign's Type is the program channel the channel rules read (Webinar, Trade Show ->
    events; Email -> email); the campaign key is `salesforce:<CampaignId>`.
    touchpoint_id = 'salesforce-' || the member's Id. A response that another source holds as
    its own touch (Marketo's program synced to the campaign) is dropped in
    int_touchpoints_unioned, where the person is known.
#}
with

members as (

    select * from {{ ref('stg_salesforce__campaign_member') }}
    where has_responded and not is_deleted

),

campaigns as (

    select * from {{ ref('stg_salesforce__campaign') }}
    where not is_deleted

),

conformed as (

    select
        -- ids
        'salesforce-' || members.campaign_member_id as touchpoint_id,
        'salesforce' as source_system,
        coalesce(members.contact_id, members.lead_id) as source_record_id,

        -- dimensions
        'campaign_response' as touch_type,
        cast(null as {{ dbt.type_string() }}) as query_string,
        members.campaign_id as program_id,
        campaigns.campaign_name as program_name,
        campaigns.campaign_type as program_channel,

        -- timestamps
        case
            when members.first_responded_date is null then members.created_at
            else greatest(
                members.created_at, {{ reporting_midnight('members.first_responded_date') }}
            )
        end as touched_at

    from members
    left join campaigns
        on campaigns.campaign_id = members.campaign_id

)

select * from conformed
