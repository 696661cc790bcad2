-- The database file's catalog is named after the file (usually "certified", like the schema),
-- so "certified.<table>" would be ambiguous: resolve bare table names in the schema instead.
-- A file that keeps its tables in "main" has no such schema; then the last statement fails
-- quietly (Evidence ignores errors here) and the names resolve in "main".
set TimeZone = 'UTC';
set schema = 'certified';
