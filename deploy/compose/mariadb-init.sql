-- The MariaDB account logtap runs as, with only what it needs (docs/operations.md, "Least privilege").
-- docker-compose.yml runs this once, as root. Elsewhere: replace the password and the database name (shop).
CREATE USER 'logtap'@'%' IDENTIFIED BY 'logtap-secret';

-- Stream the binlog (REPLICATION SLAVE) and read its position (BINLOG MONITOR; on MySQL: REPLICATION CLIENT).
GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'logtap'@'%';
-- Read the captured tables (the initial snapshot, backfills, foreign-key cascade read-backs).
GRANT SELECT ON shop.* TO 'logtap'@'%';
