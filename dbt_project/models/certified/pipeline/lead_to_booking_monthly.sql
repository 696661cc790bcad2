{# fct_lead_to_booking_monthly at its certified grain `cohort_month, channel`. #}
select
    cohort_month,
    channel,
    leads,
    booked_people,
    booked_opportunities,
    bookings,
    lead_to_booking_rate,
    median_days_lead_to_booking
from {{ ref('fct_lead_to_booking_monthly') }}
