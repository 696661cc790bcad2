-- the certified table as published; pages never read the warehouse
select * from channel_labels
