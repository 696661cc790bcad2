-- the settings the published tables were built with (one row): the pages' currency
select * from warehouse_settings
