{#
    Lead to booking per lead cohort (the month of the lead date in `reporting_timezone`) and
    original channel: the same cohorts, and the same `leads`, as funnel_cohorts (a row for
    every cohort with a lead). `booked_people`: people of the cohort associated with at least
    one won opportunity. A won opportunity belongs to the cohort and original channel of its
    earliest-lead person (fct_opportunities.lead_person_id; none when no person of it has a
    lead date): `booked_opportunities`, `bookings` (their amount in reporting currency) and
    the median of `closed_at` minus that person's lead date, in exact days. An opportunity that
    closed before it was created still counts here (METRICS.md).
#}

with

people as (

    select
        person_id,
        {{ month_start(to_reporting_date('lead_at')) }} as cohort_month,
        original_channel as channel
    from {{ ref('dim_people') }}
    where lead_at is not null

),

won as (

    select * from {{ ref('fct_opportunities') }}
    where is_won

),

booked_people as (

    select distinct opportunity_people.person_id
    from {{ ref('int_opportunity_people') }} as opportunity_people
    inner join won
        on won.opportunity_id = opportunity_people.opportunity_id

),

cohorts as (

    select
        people.cohort_month,
        people.channel,
        count(*) as leads,
        count(booked_people.person_id) as booked_people
    from people
    left join booked_people
        on booked_people.person_id = people.person_id
    group by people.cohort_month, people.channel

),

bookings as (

    select
        {{ month_start(to_reporting_date('lead_at')) }} as cohort_month,
        lead_channel as channel,
        count(*) as booked_opportunities,
        sum(amount_reporting) as bookings,
        {{ median(days_between('lead_at', 'closed_at')) }} as median_days_lead_to_booking
    from won
    where lead_person_id is not null
    group by 1, 2

)

select
    cohorts.cohort_month,
    cast(cohorts.channel as {{ dbt.type_string() }}) as channel,
    cast(cohorts.leads as bigint) as leads,
    cast(cohorts.booked_people as bigint) as booked_people,
    cast(coalesce(bookings.booked_opportunities, 0) as bigint) as booked_opportunities,
    cast(coalesce(bookings.bookings, 0) as double precision) as bookings,
    cast(cohorts.booked_people as double precision) / cohorts.leads as lead_to_booking_rate,
    cast(bookings.median_days_lead_to_booking as double precision) as median_days_lead_to_booking
from cohorts
left join bookings
    on
        bookings.cohort_month = cohorts.cohort_month
        and bookings.channel = cohorts.channel
