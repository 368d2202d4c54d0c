// Entry point: the command line of Prisma's native query engine, as Prisma
// Client Python runs it:
//   query-engine --version
//   query-engine -p PORT --enable-metrics --enable-raw-queries
// with PRISMA_DML_PATH (the schema) and OVERWRITE_DATASOURCES in the
// environment.

import { appendFileSync, readFileSync } from 'node:fs';

const ENGINE_COMMIT = '393aa359c9ad4a4bb28630fb5613f9c281cde053';
const NAME = 'prisma-session-store offline engine';

// Answered before anything heavy is loaded: the client asks on every connect.
if (process.argv.includes('--version') || process.argv.includes('-V')) {
  process.stdout.write(`query-engine ${ENGINE_COMMIT}\n`);
  process.exit(0);
}

function log(message) {
  process.stderr.write(`${NAME}: ${message}\n`);
}

function fail(message) {
  log(message);
  process.exit(1);
}

function parsePort(argv) {
  const index = argv.findIndex((arg) => arg === '-p' || arg === '--port');
  const port = index === -1 ? Number.NaN : Number.parseInt(argv[index + 1], 10);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) fail('usage: query-engine -p PORT (or --version)');
  return port;
}

// Without this the engine would outlive a Python process that was killed
// hard (SIGKILL skips the client's own cleanup).
function exitWhenOrphaned(shutdown) {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      log('parent process is gone; exiting');
      shutdown(0);
    }
  }, 500);
  timer.unref();
}

// One line per SQL statement, for tests and benchmarks that count them.
function queryLogger(env) {
  const file = env.PRISMA_SESSION_STORE_ENGINE_QUERY_LOG;
  const toStderr = Boolean(env.LOG_QUERIES);
  return (event) => {
    if (event.query === undefined) {
      if (event.level && String(event.level).toLowerCase() === 'error') log(event.message ?? JSON.stringify(event));
      return;
    }
    const line = JSON.stringify({ query: event.query, params: event.params, duration_ms: event.duration_ms });
    if (file) appendFileSync(file, `${line}\n`);
    if (toStderr) process.stderr.write(`prisma:query ${event.query}\n`);
  };
}

async function main() {
  const port = parsePort(process.argv);
  const dmlPath = process.env.PRISMA_DML_PATH;
  if (!dmlPath) fail('PRISMA_DML_PATH (the schema file) is not set');

  const { resolveDatasource, redactUrl } = await import('./datasource.mjs');
  const { createAdapter, checkDatabase } = await import('./adapters.mjs');
  const { startEngine } = await import('./engine.mjs');
  const { createEngineServer } = await import('./server.mjs');

  let datamodel;
  let datasource;
  try {
    datamodel = readFileSync(dmlPath, 'utf8');
    datasource = resolveDatasource(datamodel, process.env);
  } catch (error) {
    fail(`cannot read the datasource of ${dmlPath}: ${error.message}`);
  }
  const { provider, url } = datasource;

  let connection;
  try {
    connection = await createAdapter(provider, url, log);
    await checkDatabase(connection.adapter);
  } catch (error) {
    fail(`cannot reach the ${provider} database at ${redactUrl(url)}: ${error.message ?? error}`);
  }

  const onLog = queryLogger(process.env);
  const logQueries = Boolean(process.env.PRISMA_SESSION_STORE_ENGINE_QUERY_LOG || process.env.LOG_QUERIES);
  const engine = await startEngine({ provider, datamodel, adapter: connection.adapter, onLog, logQueries });

  let stopping = false;
  const shutdown = (code) => {
    if (stopping) return;
    stopping = true;
    server.close();
    // The client waits for this process to exit; do not let a slow pool
    // drain hold it up.
    const forced = setTimeout(() => process.exit(code), 500);
    forced.unref();
    Promise.allSettled([engine.disconnect(), connection.close()]).then(() => process.exit(code));
  };

  const server = createEngineServer({ engine, provider, log, onFatal: () => shutdown(1) });
  server.on('error', (error) => fail(`cannot listen on port ${port}: ${error.message}`));
  server.listen(port, '127.0.0.1');

  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  exitWhenOrphaned(shutdown);
}

process.on('uncaughtException', (error) => fail(`unexpected error: ${error.stack ?? error}`));
process.on('unhandledRejection', (error) => fail(`unexpected error: ${error?.stack ?? error}`));

main().catch((error) => fail(error.stack ?? String(error)));
