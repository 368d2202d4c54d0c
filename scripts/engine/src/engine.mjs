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
  const engine = new QueryEngine(
    { datamodel, logLevel: 'error', logQueries },
    (line) => onLog(typeof line === 'string' ? JSON.parse(line) : line),
    bindAdapter(adapter),
  );
  await engine.connect(NO_TRACE);
  return {
    query: (body, txId) => engine.query(body, NO_TRACE, txId),
    startTransaction: (input) => engine.startTransaction(input, NO_TRACE),
    commitTransaction: (txId) => engine.commitTransaction(txId, NO_TRACE),
    rollbackTransaction: (txId) => engine.rollbackTransaction(txId, NO_TRACE),
    disconnect: () => engine.disconnect(NO_TRACE),
  };
}
