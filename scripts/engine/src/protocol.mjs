// Translation between the two wire protocols of Prisma's query engine:
// Prisma Client Python 0.15 speaks the GraphQL protocol, the WebAssembly
// engine understands only the JSON protocol.

import { parseDocument } from './graphql.mjs';

// GraphQL root field prefix -> JSON protocol action, longest prefixes first
// so that `findUnique` is not mistaken for a shorter one.
const MODEL_ACTIONS = [
  'findUnique',
  'findFirst',
  'findMany',
  'createOne',
  'createMany',
  'updateOne',
  'updateMany',
  'upsertOne',
  'deleteOne',
  'deleteMany',
  'aggregate',
  'groupBy',
];

const RAW_ACTIONS = new Set(['queryRaw', 'executeRaw']);

function splitRootField(field) {
  if (RAW_ACTIONS.has(field)) return { action: field, modelName: undefined };
  for (const action of MODEL_ACTIONS) {
    if (field.startsWith(action) && field.length > action.length) {
      let modelName = field.slice(action.length);
      let fullAction = action;
      if ((action === 'findUnique' || action === 'findFirst') && modelName.endsWith('OrThrow')) {
        modelName = modelName.slice(0, -'OrThrow'.length);
        fullAction = `${action}OrThrow`;
      }
      return { action: fullAction, modelName };
    }
  }
  throw new Error(`unsupported operation '${field}'`);
}

/** One GraphQL document of the Python client -> one JSON protocol query. */
export function toJsonQuery(document) {
  const parsed = parseDocument(document);
  const { action, modelName } = splitRootField(parsed.field);
  const query = { arguments: parsed.arguments, selection: parsed.selection ?? {} };
  return modelName === undefined ? { action, query } : { modelName, action, query };
}

/**
 * A request body of the Python client (one query or a batch) -> the body
 * for the wasm engine's `query()`.
 */
export function toEngineBody(request) {
  if (Array.isArray(request.batch)) {
    const body = { batch: request.batch.map((item) => toJsonQuery(item.query)) };
    // The Python client always asks for a transactional batch.
    if (request.transaction) body.transaction = {};
    return body;
  }
  return toJsonQuery(request.query);
}

// JSON protocol answers carry typed scalars as {"$type": T, "value": V};
// the GraphQL protocol sent plain strings (Json fields included, which the
// Python client parses itself).
function untag(value) {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) value[index] = untag(value[index]);
    return value;
  }
  if (typeof value.$type === 'string' && 'value' in value) {
    return value.$type === 'Raw' ? untag(value.value) : value.value;
  }
  for (const key of Object.keys(value)) value[key] = untag(value[key]);
  return value;
}

// {"data": {"findUniqueSession": X}} -> {"data": {"result": X}}.
// Raw answers ({columns, types, rows}) are not tagged: a JSON column's value
// that looks like a tag is the user's data, so they pass unchanged.
function renameRoot(answer) {
  if (answer && answer.data && typeof answer.data === 'object') {
    const keys = Object.keys(answer.data);
    if (keys.length === 1) {
      const value = answer.data[keys[0]];
      return { ...answer, data: { result: RAW_ACTIONS.has(keys[0]) ? value : untag(value) } };
    }
  }
  return answer;
}

/** The wasm engine's answer (parsed JSON) -> what the Python client expects. */
export function fromEngineAnswer(answer) {
  if (answer && Array.isArray(answer.batchResult)) {
    return { ...answer, batchResult: answer.batchResult.map(renameRoot) };
  }
  return renameRoot(answer);
}
