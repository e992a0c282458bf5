/**
 * Which columns pgoutput publishes, as a condition over pg_attribute `a`: every ordinary column, and from
 * PostgreSQL 18 the stored generated ones too (logtap's publication sets publish_generated_columns = stored,
 * publication.ts). Virtual generated columns (18+) are never published; before 18 no generated column is.
 */
export const PUBLISHED_COLUMN_SQL = `(a.attgenerated = '' OR (a.attgenerated = 's' AND current_setting('server_version_num')::int >= 180000))`;

/** The first major whose pgoutput publishes stored generated columns (publish_generated_columns). */
export const PUBLISHES_GENERATED_FROM = 180000;
