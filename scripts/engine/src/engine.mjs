// Prisma's official query engine compiled to WebAssembly
// (@prisma/query-engine-wasm, the exact build Prisma Client Python 0.15
// expects), one build per database flavour.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

import { bindAdapter } from '@prisma/driver-adapter-utils';

export const ENGINE_COMMIT = '393aa359c9ad4a4bb28630fb5613f9c281cde053';

const require = createRequire(import.meta.url);

async function loadQueryEngineClass(provider) {
  const base = `@prisma/query-engine-wasm/${provider}`;
  const glue = await import(`${base}/query_engine_bg.js`);
  const bytes = await readFile(require.resolve(`${base}/query_engine_bg.wasm`));
  const { instance } = await WebAssembly.instantiate(bytes, { './query_engine_bg.js': glue });
  glue.__wbg_set_wasm(instance.exports);
  return glue.QueryEngine;
}

// The engine takes a W3C trace context with every call; we do not trace.
const NO_TRACE = '{}';

/**
 * A connected wasm query engine.
 * @param {{provider: string, datamodel: string, adapter: object, onLog: (event: object) => void, logQueries: boolean}} options
 */
export async function startEngine({ provider, datamodel, adapter, onLog, logQueries }) {
  const QueryEngine = await loadQueryEngineClass(provider);
  const bound = bindAdapter(adapter);
  const engine = new QueryEngine(
    { datamodel, logLevel: 'error', logQueries },
    (line) => onLog(typeof line === 'string' ? JSON.parse(line) : line),
    bound,
  );
  await engine.connect(NO_TRACE);
  const explained = (answer) => explainConnectorErrors(answer, bound.errorRegistry);
  return {
    query: async (body, txId) => explained(await engine.query(body, NO_TRACE, txId)),
    startTransaction: async (input) => explained(await engine.startTransaction(input, NO_TRACE)),
    commitTransaction: async (txId) => explained(await engine.commitTransaction(txId, NO_TRACE)),
    rollbackTransaction: async (txId) =>
      explained(await engine.rollbackTransaction(txId, NO_TRACE)),
    disconnect: () => engine.disconnect(NO_TRACE),
  };
}

// When a driver throws (a lost connection, say), the engine answers only
// "Error in external connector (id N)" and leaves the exception in the
// adapter's error registry, where Prisma's JS client would look it up. Put
// the driver's message into the answer, so that the Python client's error
// says what happened, and free the registry entry.
const CONNECTOR_ERROR = /(Error in external connector \(id (\d+)\))/g;

export function explainConnectorErrors(answer, registry) {
  if (typeof answer !== 'string' || !answer.includes('Error in external connector')) return answer;
  const reasons = new Map(); // the answer names each id twice: in `error` and `user_facing_error`
  const reason = (id) => {
    if (!reasons.has(id)) {
      const entry = registry.consumeError(id);
      delete registry.registeredErrors[id];
      reasons.set(id, entry && JSON.stringify(entry.error?.message || String(entry.error)).slice(1, -1));
    }
    return reasons.get(id);
  };
  return answer.replace(CONNECTOR_ERROR, (whole, text, id) => {
    const why = reason(Number(id));
    return why ? `${text}: ${why}` : whole;
  });
}
