{#
    Salesforce's funnel entries in the conformed shape of the registry entity `stage_entries`
    (unioned by int_lifecycle_stage_entries_unioned): one row per (person record, value, instant)
    from three places, each value mapped by the `salesforce` rows of the seed
    `lifecycle_stage_map` (values without a row are ignored):

    * a lead's status: the status it was created with (the first status change's old value, or
      its status when it never changed) at its creation, and each `Status` change of LeadHistory;
    * every custom date field of leads and contacts (a column ending in `_c` holding a date or an
      instant, e.g. `MQL_Date__c`, loaded as `mql_date__c`): the value is the column's name;
    * the opportunity stages of each contact's opportunities (OpportunityContactRole): every
      stage the opportunity entered (OpportunityHistory), at the instant it entered it.
#}
{%- set date_columns = {'leads': [], 'contacts': []} -%}
{%- if execute -%}
    {%- for table in ['leads', 'contacts'] -%}
        {%- for column in adapter.get_columns_in_relation(source('salesforce', table)) -%}
            {%- set name = column.name | lower -%}
            {%- set type = column.data_type | lower -%}
            {%- if name.endswith('_c') and (type.startswith('timestamp') or type == 'date') -%}
                {%- do date_columns[table].append(name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif %}
with

leads as (

    select * from {{ ref('stg_salesforce__lead') }}
    where not is_deleted or master_record_id is not null

),

status_changes as (

    select * from {{ ref('stg_salesforce__lead_history') }}
    where field = 'Status' and not is_deleted

),

first_status_change as (

    select lead_id, old_value as first_status
    from (
        select
            lead_id,
            old_value,
            row_number() over (partition by lead_id order by changed_at, lead_history_id) as n
        from status_changes
    ) as ordered
    where n = 1

),

roles as (

    select * from {{ ref('stg_salesforce__opportunity_contact_role') }}
    where not is_deleted and contact_id is not null

),

opportunity_stages as (

    select * from {{ ref('stg_salesforce__opportunity_history') }}
    where not is_deleted and stage_name is not null

),

entries as (

    select
        leads.lead_id as source_record_id,
        coalesce(first_status_change.first_status, leads.status) as source_value,
        leads.created_at as entered_at
    from leads
    left join first_status_change on first_status_change.lead_id = leads.lead_id

    union all

    select lead_id, new_value, changed_at
    from status_changes

    {%- for table, columns in date_columns.items() %}
    {%- for column in columns %}

    union all

    select
        cast(id as {{ dbt.type_string() }}),
        '{{ column }}',
        cast({{ column }} as timestamp with time zone)
    from {{ source('salesforce', table) }}
    where {{ column }} is not null and (not coalesce(is_deleted, false) or master_record_id is not null)
    {%- endfor %}
    {%- endfor %}

    union all

    select distinct roles.contact_id, opportunity_stages.stage_name, opportunity_stages.changed_at
    from roles
    inner join opportunity_stages on opportunity_stages.opportunity_id = roles.opportunity_id

),

conformed as (

    select
        -- ids
        'salesforce' as source_system,
        source_record_id,

        -- dimensions
        source_value,

        -- timestamps
        entered_at

    from entries
    where source_value is not null and entered_at is not null

)

select * from conformed
