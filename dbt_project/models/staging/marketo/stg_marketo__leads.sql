with

source as (

    select * from {{ source('marketo', 'leads') }}

),

renamed as (

    select
        -- ids
        cast(id as bigint) as lead_id,
        -- the Salesforce lead / contact this lead is (Marketo's Salesforce sync; else null)
        sfdc_lead_id,
        sfdc_contact_id,
        sfdc_account_id,
        sfdc_type,

        -- dimensions (email and names are PII: they stop at the identity models)
        email,
        first_name,
        last_name,
        lead_status,

        -- timestamps
        created_at,
        updated_at

    from source

)

select * from renamed
