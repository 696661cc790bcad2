{#
    The people of each opportunity: the persons of the person records each enabled CRM
    associates with it (the registry entity `opportunity_people`; a merged record resolves to
    its survivor's person through int_person_records). One row per opportunity and person.
#}

with

associations as (

    {{ union_sources('opportunity_people', [
        ('opportunity_id', 'string'),
        ('source_system', 'string'),
        ('source_record_id', 'string'),
    ]) }}

)

select distinct
    associations.opportunity_id,
    records.person_id
from associations
inner join {{ ref('int_opportunities_converted') }} as opportunities
    on
        opportunities.opportunity_id = associations.opportunity_id
        and opportunities.source_system = associations.source_system
inner join {{ ref('int_person_records') }} as records
    on
        records.source_system = associations.source_system
        and records.source_record_id = associations.source_record_id
