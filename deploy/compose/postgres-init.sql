-- The PostgreSQL role logtap runs as, with only what it needs (docs/operations.md, "Least privilege").
-- docker-compose.yml runs this once, as the superuser, in database shop. Elsewhere: replace the role's password,
-- the database name (shop) and the publication name (logtap_<connector name>, here connector shop_pg).
CREATE ROLE logtap WITH LOGIN REPLICATION PASSWORD 'logtap-secret';

-- Read the captured tables (the initial snapshot, backfills, and TOAST read-backs), now and later ones.
GRANT CONNECT ON DATABASE shop TO logtap;
GRANT USAGE ON SCHEMA public TO logtap;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO logtap;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO logtap;

-- Every table, including ones created later: FOR ALL TABLES needs a superuser, so the DBA creates logtap's
-- publication (logtap finds it by name and only checks it); logtap creates its replication slot itself.
CREATE PUBLICATION logtap_shop_pg FOR ALL TABLES WITH (publish = 'insert, update, delete, truncate', publish_via_partition_root = true);
