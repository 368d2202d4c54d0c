// A Prisma 5.17 driver adapter for MySQL and MariaDB over the official `mariadb` connector.
//
// Prisma 5.17 ships no adapter for the MySQL wire protocol (`@prisma/adapter-planetscale`
// speaks PlanetScale's HTTP API only; `@prisma/adapter-mariadb` arrived in 6.x with another
// interface), so the wasm query engine reaches MySQL/MariaDB through this one. It follows the
// official 5.17 adapters: values leave here in the shapes the engine's `js_value_to_quaint`
// parses, database errors become `{kind: 'Mysql', ...}` results so that the engine maps them
// to Prisma's codes (1062 -> P2002, ...); anything else is thrown, and `bindAdapter()` turns
// it into a `GenericJs` error.

import { availableParallelism } from 'node:os';

import { ColumnTypeEnum, err, ok } from '@prisma/driver-adapter-utils';
import * as mariadb from 'mariadb';

const ADAPTER_NAME = 'prisma-session-store-mariadb';

// Column definition flags and the binary collation of the client/server protocol.
const UNSIGNED_FLAG = 32;
const ENUM_FLAG = 256;
const BINARY_COLLATION = 63;

// Prisma's defaults: a pool of num_cpus * 2 + 1, a 5 s connect timeout. pool_timeout is
// shorter than Prisma's 10 s so that a server that is down is reported before the Python
// client gives up waiting for the engine (also 10 s).
const DEFAULT_CONNECTION_LIMIT = 2 * availableParallelism() + 1;
const DEFAULT_CONNECT_TIMEOUT = 5; // seconds
const DEFAULT_POOL_TIMEOUT = 5; // seconds
const LONGEST_TIMER = 2 ** 31 - 1; // milliseconds; Node fires longer timers at once

/**
 * The `mariadb` pool options for a Prisma MySQL URL
 * (`mysql://user:password@host:port/database?connection_limit=5`).
 * Honours Prisma's `connection_limit`, `connect_timeout`, `pool_timeout` and `socket_timeout`
 * (in seconds, 0 for no limit) and `socket` (a Unix socket path); ignores the others.
 */
export function poolOptionsFromUrl(url) {
  const parsed = new URL(url);
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new TypeError(`not a MySQL URL: ${parsed.protocol}//...`);
  }
  const params = parsed.searchParams;
  const milliseconds = (name, fallbackSeconds) => {
    const seconds = params.has(name) ? Number(params.get(name)) : fallbackSeconds;
    if (!Number.isFinite(seconds) || seconds < 0) throw new TypeError(`invalid ${name}=${params.get(name)}`);
    return seconds * 1000;
  };
  const connectionLimit = params.has('connection_limit')
    ? Number(params.get('connection_limit'))
    : DEFAULT_CONNECTION_LIMIT;
  if (!Number.isInteger(connectionLimit) || connectionLimit < 1) {
    throw new TypeError(`invalid connection_limit=${params.get('connection_limit')}`);
  }
  return {
    host: decodeURIComponent(parsed.hostname) || 'localhost',
    port: parsed.port ? Number(parsed.port) : 3306,
    socketPath: params.get('socket') ?? undefined,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.slice(1)) || undefined,
    connectionLimit,
    connectTimeout: milliseconds('connect_timeout', DEFAULT_CONNECT_TIMEOUT),
    // The connector reads an acquireTimeout of 0 as "fail at once"; Prisma's 0 means no limit.
    acquireTimeout: milliseconds('pool_timeout', DEFAULT_POOL_TIMEOUT) || LONGEST_TIMER,
    socketTimeout: milliseconds('socket_timeout', 0),
    // The pool opens connections only while fewer than minimumIdle are idle: 1 makes it grow
    // on demand up to connectionLimit instead of filling it at start (its default).
    minimumIdle: 1,
    // utf8mb4 for emoji whatever the server's default. UTC so that TIMESTAMP columns and
    // NOW() agree with the engine, which sends and expects DateTime values in UTC.
    collation: 'UTF8MB4_UNICODE_CI',
    sessionVariables: { time_zone: '+00:00' },
    // Affected rows count changed rows, not matched ones, as with Prisma's native engine.
    foundRows: false,
  };
}

// Set on the pool: as query options, some (jsonStrings) are ignored.
const RESULT_OPTIONS = {
  rowsAsArray: true,
  // The engine parses 'YYYY-MM-DD HH:MM:SS.fff' itself; Date objects would be shifted by
  // the Node process's time zone.
  dateStrings: true,
  // The engine parses JSON itself.
  jsonStrings: true,
  // BIT(1) is a Bytes column for Prisma, not a boolean.
  bitOneIsBoolean: false,
};

/**
 * The driver adapter; hand it to the engine as `bindAdapter(adapter)`, and close its pool
 * with `end()`. `log` receives the pool's background connection failures.
 */
export class MysqlAdapter {
  constructor(url, log = () => {}) {
    const options = poolOptionsFromUrl(url);
    this.provider = 'mysql';
    this.adapterName = ADAPTER_NAME;
    this.database = options.database;
    this.pool = mariadb.createPool({ ...options, ...RESULT_OPTIONS });
    // Unlistened 'error' events would crash the process. The same failure also reaches the
    // waiting query, as an error result after pool_timeout.
    this.pool.on('error', (error) => log(`MySQL connection failed: ${describe(error)}`));
  }

  queryRaw(query) {
    return queryRaw(this.pool, query);
  }

  executeRaw(query) {
    return executeRaw(this.pool, query);
  }

  getConnectionInfo() {
    return ok({ schemaName: this.database });
  }

  async startTransaction() {
    let connection;
    try {
      connection = await this.pool.getConnection();
    } catch (error) {
      return mysqlError(error);
    }
    return ok(new MysqlTransaction(connection));
  }

  end() {
    return this.pool.end();
  }
}

/** `{adapter, close}` for the engine server's adapter table. */
export function createMysqlAdapter(url, log) {
  const adapter = new MysqlAdapter(url, log);
  return { adapter, close: () => adapter.end() };
}

class MysqlTransaction {
  constructor(connection) {
    this.provider = 'mysql';
    this.adapterName = ADAPTER_NAME;
    // The engine sends BEGIN, COMMIT and ROLLBACK itself, through executeRaw.
    this.options = { usePhantomQuery: false };
    this.connection = connection;
  }

  queryRaw(query) {
    return queryRaw(this.connection, query);
  }

  executeRaw(query) {
    return executeRaw(this.connection, query);
  }

  // Only the connection is left to release. Should the engine's own ROLLBACK have failed,
  // the pool rolls back what is still open before anyone else gets the connection.
  async commit() {
    await this.connection.release();
    return ok(undefined);
  }

  async rollback() {
    await this.connection.release();
    return ok(undefined);
  }
}

async function queryRaw(client, query) {
  const result = await perform(client, query);
  if (!result.ok) return result;
  const packet = result.value;
  if (!Array.isArray(packet)) {
    // INSERT and friends. The engine reads AUTO_INCREMENT ids from lastInsertId, which the
    // native engine leaves out when it is 0.
    const insertId = packet.insertId ?? 0;
    return ok({
      columnNames: [],
      columnTypes: [],
      rows: [],
      lastInsertId: insertId > 0 ? String(insertId) : undefined,
    });
  }
  const columns = packet.meta ?? [];
  return ok({
    columnNames: columns.map((column) => column.name()),
    columnTypes: columns.map(columnType),
    rows: packet.map((row) => row.map(engineValue)),
  });
}

async function executeRaw(client, query) {
  const result = await perform(client, query);
  if (!result.ok) return result;
  const packet = result.value;
  return ok(Array.isArray(packet) ? packet.length : Number(packet.affectedRows));
}

async function perform(client, { sql, args }) {
  try {
    return ok(await client.query(sql, args.map(driverArg)));
  } catch (error) {
    return mysqlError(error);
  }
}

// The engine passes bytes as a Uint8Array, which the connector only encodes as binary
// when it is a Buffer.
function driverArg(arg) {
  if (arg instanceof Uint8Array && !Buffer.isBuffer(arg)) {
    return Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength);
  }
  return arg;
}

// The engine takes 64-bit integers as strings (a number would lose digits past 2^53) and
// bytes as arrays of numbers. Numbers, strings (DECIMAL, dates, JSON) and null pass as they are.
function engineValue(value) {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return Array.from(value);
  return value;
}

function columnType(column) {
  switch (column.type) {
    case 'TINY': // also BOOLEAN: the engine turns 0/1 into booleans for Boolean fields
    case 'SHORT':
    case 'INT24':
    case 'YEAR':
    case 'NULL':
      return ColumnTypeEnum.Int32;
    case 'INT':
      return column.flags & UNSIGNED_FLAG ? ColumnTypeEnum.Int64 : ColumnTypeEnum.Int32;
    case 'BIGINT':
      return ColumnTypeEnum.Int64;
    case 'FLOAT':
      return ColumnTypeEnum.Float;
    case 'DOUBLE':
      return ColumnTypeEnum.Double;
    case 'DECIMAL':
    case 'NEWDECIMAL':
      return ColumnTypeEnum.Numeric;
    case 'DATE':
    case 'NEWDATE':
      return ColumnTypeEnum.Date;
    case 'TIME':
    case 'TIME2':
      return ColumnTypeEnum.Time;
    case 'DATETIME':
    case 'DATETIME2':
    case 'TIMESTAMP':
    case 'TIMESTAMP2':
      return ColumnTypeEnum.DateTime;
    case 'JSON':
      return ColumnTypeEnum.Json;
    case 'BIT':
    case 'GEOMETRY':
      return ColumnTypeEnum.Bytes;
    default:
      // Strings and blobs. MariaDB's JSON is a LONGTEXT that only extended metadata marks.
      if (column.dataTypeFormat === 'json') return ColumnTypeEnum.Json;
      if (column.collation?.index === BINARY_COLLATION) return ColumnTypeEnum.Bytes;
      if (column.flags & ENUM_FLAG) return ColumnTypeEnum.Enum;
      return ColumnTypeEnum.Text;
  }
}

// Server errors and the connector's own (connection refused, pool timeout: errno 45xxx)
// both carry an errno and a SQLSTATE: as Mysql errors, their message reaches the engine's
// answer. Anything else is a bug, thrown for bindAdapter() to report.
function mysqlError(error) {
  // The engine reads `code` as an unsigned 16-bit number; Node's system errors are negative.
  if (!Number.isInteger(error?.errno) || error.errno < 0 || error.errno > 0xffff) throw error;
  const cause = error.cause;
  // A pool timeout hides why no connection could be opened. The server's refusal (1045 bad
  // password, 1049 unknown database...) is what the engine can map to a Prisma code; a
  // network failure (ECONNREFUSED...) is worth its message at least.
  if (isServerError(cause)) return mysqlError(cause);
  const message = error.sqlMessage ?? error.message;
  return err({
    kind: 'Mysql',
    code: error.errno,
    message: cause?.message ? `${message}: ${cause.message}` : message,
    state: error.sqlState ?? 'HY000',
  });
}

// Server error numbers lie below the connector's 45000-45999; system errors are negative.
function isServerError(error) {
  return Number.isInteger(error?.errno) && error.errno > 0 && error.errno < 45000;
}

function describe(error) {
  const cause = error?.cause?.message;
  return cause ? `${error.message} (${cause})` : String(error?.message ?? error);
}
