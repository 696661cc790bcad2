-- The published file keeps its tables in its default schema: bare names resolve there.
set TimeZone = 'UTC';
