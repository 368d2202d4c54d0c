// The HTTP API that Prisma Client Python 0.15 expects of its query engine
// (prisma/engine/_query.py, _http.py, _transactions.py), served on
// localhost by the wasm engine.

import { createServer } from 'node:http';

import { fromEngineAnswer, toEngineBody } from './protocol.mjs';
import { addSqliteErrorCodes } from './sqlite-errors.mjs';

const JSON_HEADERS = { 'content-type': 'application/json' };
const EMPTY_METRICS = JSON.stringify({ counters: [], gauges: [], histograms: [] });

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

// Errors in the engine's own shape, which the Python client turns into
// prisma.errors exceptions.
function errorAnswer(message) {
  return JSON.stringify({ errors: [{ error: message, user_facing_error: { is_panic: false, message } }] });
}

// The engine's transaction ids are cuids. The wasm engine aborts the whole
// process on an id shorter than that, so anything else is refused here.
const TRANSACTION_ID = /^c[a-z0-9]{24}$/;

function unknownTransaction(txId) {
  const message = `Transaction API error: Transaction not found. Transaction ID is invalid, refers to an old closed transaction Prisma doesn't have information about anymore, or was obtained before disconnecting.`;
  return JSON.stringify({
    errors: [{ error: message, user_facing_error: { is_panic: false, message, meta: { id: txId }, error_code: 'P2028' } }],
  });
}

// Transaction calls answer a bare error object on failure; the Python
// client looks for the usual {"errors": [...]} list.
function wrapTransactionAnswer(answer) {
  const parsed = JSON.parse(answer);
  if (parsed && typeof parsed.message === 'string' && parsed.id === undefined) {
    return JSON.stringify({ errors: [{ error: parsed.message, user_facing_error: parsed }] });
  }
  return answer;
}

function send(response, status, body, headers = JSON_HEADERS) {
  response.writeHead(status, headers);
  response.end(body);
}

/**
 * @param {{engine: object, provider: string, log: (message: string) => void, onFatal: (error: Error) => void}} options
 */
export function createEngineServer({ engine, provider, log, onFatal }) {
  const fixAnswer = provider === 'sqlite' ? addSqliteErrorCodes : (answer) => answer;

  async function handleQuery(request, response) {
    const body = await readBody(request);
    let engineBody;
    try {
      engineBody = JSON.stringify(toEngineBody(JSON.parse(body)));
    } catch (error) {
      // A document we cannot translate is a bug of ours or an operation the
      // client gained later: answer like the engine would, visibly.
      log(`cannot translate the request: ${error.message}`);
      send(response, 200, errorAnswer(`prisma-session-store offline engine: ${error.message}`));
      return;
    }
    const txId = request.headers['x-transaction-id'] || undefined;
    if (txId !== undefined && !TRANSACTION_ID.test(txId)) {
      send(response, 200, unknownTransaction(txId));
      return;
    }
    const answer = await engine.query(engineBody, txId);
    send(response, 200, JSON.stringify(fixAnswer(fromEngineAnswer(JSON.parse(answer)))));
  }

  async function handleTransaction(request, response, path) {
    if (path === '/transaction/start') {
      // Same {max_wait, timeout} object (milliseconds) on both protocols.
      send(response, 200, wrapTransactionAnswer(await engine.startTransaction(await readBody(request))));
      return;
    }
    const match = /^\/transaction\/([^/]+)\/(commit|rollback)$/.exec(path);
    if (!match) {
      send(response, 404, errorAnswer(`no such endpoint: ${path}`));
      return;
    }
    const [, txId, verb] = match;
    if (!TRANSACTION_ID.test(txId)) {
      send(response, 200, unknownTransaction(txId));
      return;
    }
    const answer = verb === 'commit' ? await engine.commitTransaction(txId) : await engine.rollbackTransaction(txId);
    send(response, 200, wrapTransactionAnswer(answer));
  }

  async function route(request, response) {
    const path = request.url.split('?')[0];
    if (request.method === 'GET' && path === '/status') {
      send(response, 200, '{"status":"ok"}');
    } else if (request.method === 'POST' && path === '/') {
      await handleQuery(request, response);
    } else if (request.method === 'POST' && path.startsWith('/transaction/')) {
      await handleTransaction(request, response, path);
    } else if (request.method === 'GET' && path === '/metrics') {
      // The wasm engine keeps no metrics.
      const prometheus = request.url.includes('format=prometheus');
      send(response, 200, prometheus ? '' : EMPTY_METRICS, prometheus ? { 'content-type': 'text/plain' } : JSON_HEADERS);
    } else {
      send(response, 404, errorAnswer(`no such endpoint: ${request.method} ${path}`));
    }
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error) => {
      // A wasm trap leaves the engine unusable: report it and let the
      // process end, so that the client sees a dead engine, not bad data.
      const fatal = error instanceof WebAssembly.RuntimeError;
      log(`${fatal ? 'engine crashed' : 'request failed'}: ${error.stack ?? error}`);
      if (!response.headersSent) send(response, 500, errorAnswer(String(error.message ?? error)));
      if (fatal) onFatal(error);
    });
  });
  // The Python client keeps idle connections for 5 s; staying open longer
  // avoids the race where both ends close and reuse one at the same time.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}
