{#
    The people of each opportunity: the persons of its associated HubSpot contacts (a merged
    contact resolves to its survivor's person through int_person_records). One row per
    opportunity and person.
#}

with

associations as (

    select distinct
        cast(deal_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id
    from {{ ref('stg_hubspot__deal_contacts') }}

),

records as (

    select person_id, cast(source_record_id as {{ dbt.type_string() }}) as contact_id
    from {{ ref('int_person_records') }}
    where source_system = 'hubspot'

)

select distinct
    associations.opportunity_id,
    records.person_id
from associations
inner join {{ ref('int_opportunities_converted') }} as opportunities
    on opportunities.opportunity_id = associations.opportunity_id
inner join records
    on records.contact_id = associations.contact_id
