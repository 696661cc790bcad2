-- the certified table as published; pages never read the warehouse
select * from lead_to_booking_monthly
