import { LogtapError } from '../../src/errors.js';

/** Errors of the MySQL/MariaDB type layer, on the core's error base (stable `code`, `retriable`). */
export class MysqlTypeLayerError extends LogtapError {
  constructor(code: string, message: string, retriable: boolean) {
    super(code, message, { retriable });
  }
}

/** A column whose source type logtap cannot carry exactly (e.g. MariaDB VECTOR). */
export class UnsupportedColumnTypeError extends MysqlTypeLayerError {
  constructor(column: string, columnType: string, why = 'no exact mapping') {
    super('MYSQL_UNSUPPORTED_TYPE', `column ${column}: type ${columnType} is not supported (${why})`, false);
  }
}

/** A value that cannot be turned into its canonical form without losing or inventing information. */
export class ValueDecodeError extends MysqlTypeLayerError {
  constructor(column: string, message: string) {
    super('MYSQL_VALUE_DECODE', `column ${column}: ${message}`, false);
  }
}

/** The binlog's TableMap does not describe the table version the decoder was built for (schema changed). */
export class TableMapMismatchError extends MysqlTypeLayerError {
  constructor(table: string, message: string) {
    super('MYSQL_TABLE_MAP_MISMATCH', `table ${table}: binlog table map does not match the introspected columns: ${message}`, true);
  }
}

/** INFORMATION_SCHEMA did not describe the table (dropped, renamed, or no privileges). */
export class TableNotFoundError extends MysqlTypeLayerError {
  constructor(table: string) {
    super('MYSQL_TABLE_NOT_FOUND', `table ${table} not found in INFORMATION_SCHEMA (dropped, renamed, or not visible to this user)`, false);
  }
}
