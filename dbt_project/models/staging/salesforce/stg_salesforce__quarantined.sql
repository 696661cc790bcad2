{#
    The records of this source that were not passed on as they arrived (registry entity
    `quarantined`, unioned by quarantine_records): the rules and corrections of its registry
    entry and the records dlt diverted at load (macros/record_rules.sql, `source_quarantine`).
#}
{{ source_quarantine('salesforce') }}
