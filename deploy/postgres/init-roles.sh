#!/bin/sh
# Runs once, as the postgres superuser, when the postgres container initialises an empty data directory
# (docker-entrypoint-initdb.d). Creates the two roles the portal uses:
#   portal_owner  owns the database and its schema; only the `migrate` service connects as it;
#   portal_app    web, worker and scheduler connect as it; it owns nothing and can create nothing.
# After every migrate, `manage.py database_grants --app-role portal_app` (run as portal_owner) gives
# portal_app SELECT/INSERT/UPDATE/DELETE on the portal's tables and only SELECT/INSERT on the consent
# ledger and its checkpoints. The same statements work on any PostgreSQL (README: Database roles).
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v owner_password="$PORTAL_OWNER_DB_PASSWORD" -v app_password="$PORTAL_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE portal_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE portal_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_password';

ALTER DATABASE :"DBNAME" OWNER TO portal_owner;
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"DBNAME" TO portal_app;

ALTER SCHEMA public OWNER TO portal_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO portal_app;

-- Tables the owner's migrations create are usable by the application at once; database_grants then
-- takes UPDATE and DELETE on the ledger tables away again.
ALTER DEFAULT PRIVILEGES FOR ROLE portal_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO portal_app;
ALTER DEFAULT PRIVILEGES FOR ROLE portal_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO portal_app;
SQL
