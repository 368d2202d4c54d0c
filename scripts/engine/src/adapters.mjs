// Prisma's official driver adapters (5.17, the engine's own version) for
// SQLite and PostgreSQL; our own small adapter for MySQL/MariaDB, for which
// Prisma 5.17 ships none (see mysql-adapter.mjs).
//
// Each is imported only when its provider is used: it keeps the engine's
// start-up (paid on every Prisma.connect()) short.

import { availableParallelism } from 'node:os';

import { ColumnTypeEnum } from '@prisma/driver-adapter-utils';

// Prisma's own defaults: a pool of num_cpus * 2 + 1 connections, a 5 s
// connect timeout, a 5 s SQLite busy timeout.
const DEFAULT_POOL_SIZE = 2 * availableParallelism() + 1;
const DEFAULT_CONNECT_TIMEOUT_S = 5;
const SQLITE_BUSY_TIMEOUT_MS = 5000;

function intParam(params, name, fallback) {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number.parseInt(raw, 10);
  if (!Number.isFinite(value) || value < 0) throw new Error(`invalid ${name}=${raw} in the database URL`);
  return value;
}

async function sqliteAdapter(url) {
  const { PrismaLibSQL } = await import('@prisma/adapter-libsql');
  const { createClient } = await import('@libsql/client');
  const params = new URL(url.replace(/^file:/, 'file://')).searchParams;
  const busyTimeout = intParam(params, 'socket_timeout', SQLITE_BUSY_TIMEOUT_MS / 1000) * 1000;
  const path = url.replace(/^(file:|sqlite:)/, '').split('?')[0];
  // bigint: SQLite integers are 64-bit; the default (number) throws past 2**53.
  const client = createClient({ url: `file:${path}`, intMode: 'bigint' });
  const setPragmas = async () => {
    await client.execute(`PRAGMA busy_timeout = ${busyTimeout}`);
    await client.execute('PRAGMA foreign_keys = ON');
  };
  await setPragmas();
  // libsql hands its connection to each transaction and opens a new one for
  // everything else: that new connection needs the pragmas too.
  const transaction = client.transaction.bind(client);
  client.transaction = async (mode) => {
    const tx = await transaction(mode);
    await setPragmas();
    return tx;
  };
  const adapter = new PrismaLibSQL(client);
  // libsql does not reset a statement that fails part-way (SQLITE_BUSY on an
  // INSERT ... RETURNING): its connection then never commits again, and every
  // later write is silently lost. After a failed query, retire the connection:
  // transaction() takes it over (the client opens a new one), and ROLLBACK
  // aborts the stuck statement.
  for (const method of ['queryRaw', 'executeRaw']) {
    const run = adapter[method].bind(adapter);
    adapter[method] = async (query) => {
      const result = await run(query);
      if (!result.ok) {
        const retired = await client.transaction('deferred');
        await retired.rollback().catch(() => {});
      }
      return result;
    };
  }
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async () => {
    const result = await startTransaction();
    if (result.ok) realColumnsAsDouble(result.value);
    return result;
  };
  return { adapter: realColumnsAsDouble(adapter), close: async () => client.close() };
}

// With intMode bigint every SQLite integer arrives as a bigint, so a plain
// number is always a REAL. adapter-libsql types a column without a declared
// type (an aggregate such as AVG) from its first non-null value, a number as
// UnknownNumber, and the 5.17 engine rejects a null in such a column: call
// it Double, which takes nulls.
function realColumnsAsDouble(queryable) {
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query) => {
    const result = await queryRaw(query);
    if (result.ok) {
      const { UnknownNumber, Double } = ColumnTypeEnum;
      result.value.columnTypes = result.value.columnTypes.map((type) => (type === UnknownNumber ? Double : type));
    }
    return result;
  };
  return queryable;
}

async function postgresAdapter(url, log) {
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const { default: pg } = await import('pg');
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const schema = params.get('schema') ?? undefined;
  const max = intParam(params, 'connection_limit', DEFAULT_POOL_SIZE);
  const connectTimeout = intParam(params, 'connect_timeout', DEFAULT_CONNECT_TIMEOUT_S);
  // Prisma's URL parameters mean nothing to pg: take them out.
  for (const name of ['schema', 'connection_limit', 'connect_timeout', 'pool_timeout', 'socket_timeout', 'pgbouncer', 'statement_cache_size']) {
    params.delete(name);
  }
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max,
    connectionTimeoutMillis: connectTimeout * 1000,
    // Like Prisma's native engine: raw SQL resolves names in the URL's schema.
    ...(schema ? { options: `-c search_path="${schema.replaceAll('"', '""')}"` } : {}),
  });
  // An idle connection that the server drops (restart, failover) is
  // reported here; without a listener it would crash the process.
  pool.on('error', (error) => log(`idle PostgreSQL connection lost: ${error.message}`));
  // A connection lost while checked out (inside a transaction, say) reports
  // on the client itself: its query fails with the error, and this listener
  // keeps the 'error' event from crashing the engine.
  pool.on('connect', (client) => {
    client.on('error', (error) => log(`PostgreSQL connection lost: ${error.message}`));
  });
  return {
    adapter: new PrismaPg(pool, schema ? { schema } : undefined),
    close: () => pool.end(),
  };
}

/**
 * @param {'sqlite'|'postgresql'|'mysql'} provider
 * @param {string} url
 * @param {(message: string) => void} log
 * @returns {Promise<{adapter: object, close: () => Promise<void>}>}
 */
export async function createAdapter(provider, url, log) {
  switch (provider) {
    case 'sqlite':
      return sqliteAdapter(url);
    case 'postgresql':
      return postgresAdapter(url, log);
    case 'mysql': {
      const { createMysqlAdapter } = await import('./mysql-adapter.mjs');
      return createMysqlAdapter(url, log);
    }
    default:
      throw new Error(`unsupported provider ${provider}`);
  }
}

/** Run `SELECT 1` through the adapter; throws with the driver's reason. */
export async function checkDatabase(adapter) {
  const result = await adapter.queryRaw({ sql: 'SELECT 1', args: [] });
  if (!result.ok) throw new Error(describeAdapterError(result.error));
}

export function describeAdapterError(error) {
  if (!error) return 'unknown error';
  if (error.message) return error.message;
  return JSON.stringify(error);
}
