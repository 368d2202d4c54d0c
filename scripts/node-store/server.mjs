#!/usr/bin/env node
// The Node original, for side-by-side runs: Express 5 + express-session +
// @quixo3/prisma-session-store on Prisma 7 with an official driver adapter
// (better-sqlite3 or pg), so no native Prisma engine is needed.
//
//   node server.mjs --provider sqlite --url file:/abs/path/sessions.db --secret s3cret
//   node server.mjs --provider postgresql --url 'postgresql://postgres@127.0.0.1:5432/test?schema=public'
//
// Options (each also from the environment variable in brackets):
//   --provider sqlite|postgresql   [PSS_NODE_PROVIDER]  default: from the URL
//   --url URL                      [DATABASE_URL]        file:<path> or postgresql://...[?schema=]
//   --port N                       [PORT]                default 3000; 0 picks a free port
//   --host H                       [HOST]                default 127.0.0.1
//   --secret S (repeatable, newest first) [SESSION_SECRET, comma-separated]
//   --max-age SECONDS              [SESSION_MAX_AGE]     cookie maxAge, default 14 days
//   --check-period SECONDS         [CHECK_PERIOD]        the store's prune interval, default off
//   --log-queries                  [LOG_QUERIES=1]       print each SQL statement to stderr
//
// Routes (JSON answers; the session cookie is `connect.sid`):
//   GET  /read                the session (express-session's JSON, with its cookie object)
//   GET|POST /incr            count += 1, answers {"count": n}
//   GET  /set?key=K&value=V   session[K] = V (a string), answers the session
//   GET  /destroy             ends the session, answers {"destroyed": true}
//   GET  /whoami              {"sid": ..., "stored": whether the session has a row}
// Prints `listening on <port>` on stdout once it accepts connections.

import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import express from 'express';
import session from 'express-session';
import { PrismaSessionStore } from '@quixo3/prisma-session-store';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const { values: args } = parseArgs({
  options: {
    provider: { type: 'string' },
    url: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    secret: { type: 'string', multiple: true },
    'max-age': { type: 'string' },
    'check-period': { type: 'string' },
    'log-queries': { type: 'boolean' },
  },
});

function fail(message) {
  console.error(`node-store: ${message}`);
  process.exit(2);
}

const url = args.url ?? process.env.DATABASE_URL ?? fail('give --url or DATABASE_URL');
const provider =
  args.provider ??
  process.env.PSS_NODE_PROVIDER ??
  (url.startsWith('file:') ? 'sqlite' : /^postgres(ql)?:/.test(url) ? 'postgresql' : null) ??
  fail(`cannot tell the provider from ${url.split(':')[0]}: URL; give --provider`);
const secrets =
  args.secret ?? process.env.SESSION_SECRET?.split(',').filter(Boolean) ?? fail('give --secret or SESSION_SECRET');
const port = Number(args.port ?? process.env.PORT ?? 3000);
const host = args.host ?? process.env.HOST ?? '127.0.0.1';
const maxAgeSeconds = Number(args['max-age'] ?? process.env.SESSION_MAX_AGE ?? 14 * 24 * 60 * 60);
const checkPeriodSeconds = Number(args['check-period'] ?? process.env.CHECK_PERIOD ?? 0);
const logQueries = args['log-queries'] || process.env.LOG_QUERIES === '1';

function adapterFor(provider, url) {
  if (provider === 'sqlite') {
    const { PrismaBetterSqlite3 } = require('@prisma/adapter-better-sqlite3');
    // timestampFormat iso8601 (the adapter's default, spelled out): DateTime as
    // `2030-01-02T03:04:05.678+00:00` text, the form the Python side's engine writes.
    return new PrismaBetterSqlite3({ url: url.split('?')[0] }, { timestampFormat: 'iso8601' });
  }
  if (provider === 'postgresql') {
    const { PrismaPg } = require('@prisma/adapter-pg');
    // Prisma's own URL parameters are not libpq's: `schema` goes to the
    // adapter, `connection_limit` to the pool, the rest is dropped.
    const parsed = new URL(url);
    const params = parsed.searchParams;
    const schema = params.get('schema') ?? undefined;
    const max = params.has('connection_limit') ? Number(params.get('connection_limit')) : undefined;
    for (const name of ['schema', 'connection_limit', 'connect_timeout', 'pool_timeout', 'socket_timeout', 'pgbouncer', 'statement_cache_size']) {
      params.delete(name);
    }
    return new PrismaPg({ connectionString: parsed.toString(), ...(max ? { max } : {}) }, { schema });
  }
  return fail(`provider must be sqlite or postgresql, got ${provider}`);
}

let PrismaClient;
try {
  ({ PrismaClient } = require(path.join(here, 'generated', provider)));
} catch (error) {
  fail(`the Prisma client for ${provider} is not generated (run scripts/setup): ${error.message}`);
}
const prisma = new PrismaClient({
  adapter: adapterFor(provider, url),
  log: logQueries ? [{ emit: 'event', level: 'query' }] : [],
});
if (logQueries) prisma.$on('query', (event) => console.error(`query: ${event.query}`));

// Fail fast when the database or the table is not there.
try {
  await prisma.session.count();
} catch (error) {
  fail(`cannot read the Session table at ${provider}: ${error.message}`);
}

const store = new PrismaSessionStore(prisma, {
  checkPeriod: checkPeriodSeconds > 0 ? checkPeriodSeconds * 1000 : undefined,
  dbRecordIdIsSessionId: false,
});

const app = express();
app.disable('x-powered-by');
app.use(
  session({
    store,
    secret: secrets,
    name: 'connect.sid',
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: maxAgeSeconds * 1000, httpOnly: true, sameSite: 'lax', path: '/' },
  }),
);

app.get('/read', (req, res) => res.json(req.session));

app.all('/incr', (req, res) => {
  req.session.count = (req.session.count ?? 0) + 1;
  res.json({ count: req.session.count });
});

app.get('/set', (req, res) => {
  const { key, value } = req.query;
  if (typeof key !== 'string' || typeof value !== 'string' || key === 'cookie') {
    res.status(400).json({ error: 'give ?key=K&value=V (key not "cookie")' });
    return;
  }
  req.session[key] = value;
  res.json(req.session);
});

app.get('/destroy', (req, res, next) => {
  req.session.destroy((error) => (error ? next(error) : res.json({ destroyed: true })));
});

app.get('/whoami', async (req, res, next) => {
  try {
    const row = await prisma.session.findUnique({ where: { sid: req.sessionID }, select: { sid: true } });
    res.json({ sid: req.sessionID, stored: row !== null });
  } catch (error) {
    next(error);
  }
});

const server = app.listen(port, host, (error) => {
  if (error) fail(`cannot listen on ${host}:${port}: ${error.message}`);
  console.log(`listening on ${server.address().port}`);
});

async function shutdown() {
  server.close();
  server.closeAllConnections?.();
  store.shutdown?.();
  await prisma.$disconnect().catch(() => {});
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
// Exit with the parent (a test runner that died): stdin closes.
if (process.env.EXIT_WITH_STDIN === '1') {
  process.stdin.on('end', shutdown).on('close', shutdown).resume();
}
