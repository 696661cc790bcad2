-- The database file's catalog is named after the file (usually "certified", like the schema),
-- so "certified.<table>" would be ambiguous: resolve bare table names in the schema instead.
set schema = 'certified';
