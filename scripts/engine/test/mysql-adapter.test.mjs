// Tests of src/mysql-adapter.mjs against a real MariaDB/MySQL (MYSQL_TEST_URL, by default
// mysql://root@127.0.0.1:3306/test), alone and under Prisma's 5.17 wasm query engine.
// Every table is created here under a name unique to the run and dropped afterwards.
//
// What the 5.17 wasm engine (mysql build) answered through this adapter, for the server:
// - Loading: `new WebAssembly.Instance(new WebAssembly.Module(bytes),
//   {'./query_engine_bg.js': glue})`, then `glue.__wbg_set_wasm(instance.exports)`;
//   `glue.QueryEngine` is the class. No generator block or preview feature is needed.
// - The datamodel is NOT validated: a one-line block (`model A { id Int @id }`, or a
//   one-line datasource) or an unknown type is accepted silently, and every model operation
//   then answers "Operation 'findMany' for model 'A' does not match any query.".
//   Write one attribute or field per line.
// - query() resolves to a JSON string, never rejects for database errors:
//   {"data":{"createOneItem":{"id":1,"name":"a","at":{"$type":"DateTime","value":
//   "2030-01-02T03:04:05.678Z"},"big":{"$type":"BigInt","value":"9007199254740993"}}}}
//   Other tags seen: {"$type":"Json","value":"{\"a\":[1,2]}"} (a JSON string),
//   {"$type":"Bytes","value":"AAEC/w=="} (base64), {"$type":"Decimal","value":"1.5"}.
//   Booleans are plain true/false; null for NULL and for a findUnique miss.
//   updateMany/deleteMany -> {"data":{"updateManyItem":{"count":2}}} (count = CHANGED rows
//   on MySQL, as with the native engine); aggregate ->
//   {"data":{"aggregateItem":{"_count":{"_all":2}}}}; a batch body
//   {"batch":[q1,q2],"transaction":{}} -> {"batchResult":[{"data":{...}},{"data":{...}}]}.
// - queryRaw -> {"data":{"queryRaw":{"columns":["name","at","big"],
//   "types":["string","datetime","bigint"],"rows":[["a","2030-01-02T03:04:05.678+00:00","9007..."]]}}}
//   (json columns come back as objects, bytes as base64, TINYINT(1) as "int");
//   executeRaw -> {"data":{"executeRaw":1}}.
// - Errors: {"errors":[{"error":"<debug text>","user_facing_error":{"is_panic":false,
//   "message":"Unique constraint failed on the constraint: `Item_name_key`",
//   "meta":{"target":"Item_name_key"},"error_code":"P2002"}}]}. updateOne/deleteOne of a
//   missing row: error_code "P2025". Raw SQL errors: "P2010" with meta {code:"1064", message}.
//   Server down: model queries -> an error without error_code whose message contains
//   "pool timeout ...: connect ECONNREFUSED 127.0.0.1:1"; raw queries -> P2010, code "45028".
// - startTransaction(JSON.stringify({max_wait, timeout}), '{}') -> '{"id":"cmx93..."}' (25
//   characters), or on failure an error object WITHOUT the errors wrapper:
//   '{"is_panic":false,"message":"Error in connector: ...","backtrace":null}'.
//   commitTransaction/rollbackTransaction -> '{}', or e.g. '{"is_panic":false,"message":
//   "Transaction API error: Transaction already closed: A commit cannot be executed on a
//   committed transaction.","meta":{...},"error_code":"P2028"}' (also for expired and for
//   unknown well-formed ids: "Transaction not found...").
// - DANGER: a tx id shorter than 24 characters ('', 'nope', ...) given to query(),
//   commitTransaction() or rollbackTransaction() panics the wasm engine ("RuntimeError:
//   unreachable", thrown outside any promise: it kills the process; longer unknown ids get
//   the P2028 "Transaction not found" answer). Validate ids (/^c[a-z0-9]{24}$/) first.
// - The engine sends BEGIN / COMMIT / ROLLBACK as executeRaw through the transaction
//   object, and wraps createOne/upsertOne in a transaction of its own on MySQL.
// - With logQueries: true the log callback receives JSON strings such as
//   {"duration_ms":0,"is_query":true,"item_type":"query","level":"DEBUG","module_path":
//   "quaint::connector::metrics","params":"[\"a\",1,0]","query":"SELECT ...","result":"success"}.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';

import { bindAdapter, ColumnTypeEnum } from '@prisma/driver-adapter-utils';
import * as mariadb from 'mariadb';

import { createMysqlAdapter, MysqlAdapter, poolOptionsFromUrl } from '../src/mysql-adapter.mjs';

const DATABASE_URL = process.env.MYSQL_TEST_URL ?? 'mysql://root@127.0.0.1:3306/test';
const RUN = `${process.pid}_${Date.now().toString(36)}`;
let tableCount = 0;

// For setting up and checking from outside the adapter.
async function rawConnection() {
  const { host, port, user, password, database } = poolOptionsFromUrl(DATABASE_URL);
  return mariadb.createConnection({ host, port, user, password, database });
}

function urlWith(params) {
  const url = new URL(DATABASE_URL);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

function unwrap(result) {
  assert.equal(result.ok, true, `expected ok, got ${JSON.stringify(result.error)}`);
  return result.value;
}

describe('poolOptionsFromUrl', () => {
  test('reads credentials, database and Prisma parameters (seconds to ms)', () => {
    const options = poolOptionsFromUrl(
      'mysql://us%40er:p%3Ass@db.example:3307/my_db?connection_limit=7&connect_timeout=2&pool_timeout=3&socket_timeout=4',
    );
    assert.equal(options.user, 'us@er');
    assert.equal(options.password, 'p:ss');
    assert.equal(options.host, 'db.example');
    assert.equal(options.port, 3307);
    assert.equal(options.database, 'my_db');
    assert.equal(options.connectionLimit, 7);
    assert.equal(options.connectTimeout, 2000);
    assert.equal(options.acquireTimeout, 3000);
    assert.equal(options.socketTimeout, 4000);
  });

  test('a timeout of 0 means no limit, as in Prisma', () => {
    const options = poolOptionsFromUrl('mysql://root@localhost/db?connect_timeout=0&pool_timeout=0');
    assert.equal(options.connectTimeout, 0);
    assert.equal(options.acquireTimeout, 2 ** 31 - 1);
  });

  test('defaults keep every wait bounded', () => {
    const options = poolOptionsFromUrl('mysql://root@localhost/db');
    assert.equal(options.port, 3306);
    assert.ok(options.connectionLimit >= 3);
    assert.ok(options.connectTimeout > 0 && options.connectTimeout <= 5000);
    assert.ok(options.acquireTimeout > 0 && options.acquireTimeout <= 5000);
  });

  test('rejects what it cannot honour', () => {
    assert.throws(() => poolOptionsFromUrl('postgresql://u@h/db'), TypeError);
    assert.throws(() => poolOptionsFromUrl('mysql://u@h/db?connection_limit=0'), TypeError);
    assert.throws(() => poolOptionsFromUrl('mysql://u@h/db?pool_timeout=soon'), TypeError);
  });
});

describe('MysqlAdapter', () => {
  let adapter;
  let setup;
  const tables = [];

  async function createTable(columns) {
    const name = `mat_${RUN}_${++tableCount}`;
    await setup.query(
      `CREATE TABLE \`${name}\` (${columns}) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    tables.push(name);
    return name;
  }

  before(async () => {
    setup = await rawConnection();
    adapter = new MysqlAdapter(urlWith({ connection_limit: '3' }));
  });

  after(async () => {
    for (const name of tables) await setup.query(`DROP TABLE IF EXISTS \`${name}\``);
    await setup.end();
    await adapter.end();
  });

  test('is a mysql adapter whose schema is the URL database', () => {
    assert.equal(adapter.provider, 'mysql');
    assert.deepEqual(unwrap(adapter.getConnectionInfo()), {
      schemaName: poolOptionsFromUrl(DATABASE_URL).database,
    });
  });

  test('sessions run in UTC and utf8mb4', async () => {
    const result = unwrap(
      await adapter.queryRaw({ sql: 'SELECT @@session.time_zone, @@character_set_connection', args: [] }),
    );
    assert.deepEqual(result.rows, [['+00:00', 'utf8mb4']]);
  });

  test('round-trips every column type in the shapes the engine parses', async () => {
    const unicode = 'héllo wörld ✓ 日本語 😀👍🏽';
    const T = ColumnTypeEnum;
    // [column, argument as the engine passes it, column type and value the engine expects]
    const cases = [
      ['i INT', -2147483648, T.Int32, -2147483648],
      ['bi BIGINT', 9007199254740993n, T.Int64, '9007199254740993'],
      ['ubi BIGINT UNSIGNED', 18446744073709551615n, T.Int64, '18446744073709551615'],
      ['d DOUBLE', 0.1 + 0.2, T.Double, 0.30000000000000004],
      ['f FLOAT', 1.5, T.Float, 1.5],
      [
        'dec_ DECIMAL(30,10)',
        '12345678901234567890.0123456789',
        T.Numeric,
        '12345678901234567890.0123456789',
      ],
      ['flag TINYINT(1)', true, T.Int32, 1],
      ['bool BOOLEAN', false, T.Int32, 0],
      ['v VARCHAR(191)', unicode, T.Text, unicode],
      ['t MEDIUMTEXT', unicode, T.Text, unicode],
      ['dt DATETIME(3)', '2030-01-02 03:04:05.678', T.DateTime, '2030-01-02 03:04:05.678'],
      ['ts TIMESTAMP(3) NULL', '2030-01-02 03:04:05.678', T.DateTime, '2030-01-02 03:04:05.678'],
      ['da DATE', '2030-01-02', T.Date, '2030-01-02'],
      ['ti TIME(3)', '03:04:05.678', T.Time, '03:04:05.678'],
      ['bl BLOB', new Uint8Array([0, 1, 2, 127, 128, 254, 255]), T.Bytes, [0, 1, 2, 127, 128, 254, 255]],
      ['vb VARBINARY(16)', new Uint8Array([9, 8]), T.Bytes, [9, 8]],
      ['j JSON', '{"a":[1,2],"b":"ü"}', T.Json, '{"a":[1,2],"b":"ü"}'],
      ["e ENUM('small','large')", 'large', T.Enum, 'large'],
    ];
    const table = await createTable(
      `id INT NOT NULL PRIMARY KEY, ${cases.map(([column]) => column).join(', ')}`,
    );
    const placeholders = cases.map(() => ', ?').join('');
    const insert = `INSERT INTO \`${table}\` VALUES (?${placeholders})`;
    const args = cases.map(([, arg]) => arg);
    assert.equal(unwrap(await adapter.executeRaw({ sql: insert, args: [1, ...args] })), 1);
    assert.equal(unwrap(await adapter.executeRaw({ sql: insert, args: [2, ...args.map(() => null)] })), 1);

    const result = unwrap(
      await adapter.queryRaw({ sql: `SELECT * FROM \`${table}\` ORDER BY id`, args: [] }),
    );
    assert.deepEqual(result.columnNames, ['id', ...cases.map(([column]) => column.split(' ')[0])]);
    assert.deepEqual(result.columnTypes, [T.Int32, ...cases.map(([, , type]) => type)]);
    assert.deepEqual(result.rows, [
      [1, ...cases.map(([, , , value]) => value)],
      [2, ...cases.map(() => null)],
    ]);
    assert.equal(result.lastInsertId, undefined);
  });

  test('round-trips 1 MB of MEDIUMTEXT', async () => {
    const table = await createTable('id INT NOT NULL PRIMARY KEY, body MEDIUMTEXT NOT NULL');
    const body = `${'x'.repeat(1024 * 1024 - 8)}é😀end`;
    unwrap(await adapter.executeRaw({ sql: `INSERT INTO \`${table}\` VALUES (?, ?)`, args: [1, body] }));
    const result = unwrap(
      await adapter.queryRaw({ sql: `SELECT body FROM \`${table}\` WHERE id = ?`, args: [1] }),
    );
    assert.equal(result.rows[0][0].length, body.length);
    assert.equal(result.rows[0][0], body);
  });

  test('reports AUTO_INCREMENT ids as lastInsertId', async () => {
    const table = await createTable('id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(191) NOT NULL');
    const insert = { sql: `INSERT INTO \`${table}\` (name) VALUES (?)`, args: ['a'] };
    assert.deepEqual(unwrap(await adapter.queryRaw(insert)), {
      columnNames: [],
      columnTypes: [],
      rows: [],
      lastInsertId: '1',
    });
    assert.equal(unwrap(await adapter.queryRaw(insert)).lastInsertId, '2');
  });

  test('executeRaw counts affected (changed) rows', async () => {
    const table = await createTable('id INT NOT NULL PRIMARY KEY, name VARCHAR(191) NOT NULL');
    const run = async (sql, args = []) => unwrap(await adapter.executeRaw({ sql, args }));
    assert.equal(await run(`INSERT INTO \`${table}\` VALUES (1, 'a'), (2, 'b'), (3, 'c')`), 3);
    assert.equal(await run(`UPDATE \`${table}\` SET name = ? WHERE id >= ?`, ['z', 2]), 2);
    // Rows that already hold the value are matched but not changed: the native engine says 0.
    assert.equal(await run(`UPDATE \`${table}\` SET name = ? WHERE id >= ?`, ['z', 2]), 0);
    assert.equal(await run(`DELETE FROM \`${table}\` WHERE id = ?`, [42]), 0);
    assert.equal(await run(`DELETE FROM \`${table}\``), 3);
  });

  test('a transaction commits what the engine commits', async () => {
    const table = await createTable('id INT NOT NULL PRIMARY KEY');
    const tx = unwrap(await adapter.startTransaction());
    assert.deepEqual(tx.options, { usePhantomQuery: false });
    assert.equal(tx.provider, 'mysql');
    unwrap(await tx.executeRaw({ sql: 'BEGIN', args: [] }));
    unwrap(await tx.executeRaw({ sql: `INSERT INTO \`${table}\` VALUES (?)`, args: [1] }));
    assert.deepEqual(unwrap(await tx.queryRaw({ sql: `SELECT id FROM \`${table}\``, args: [] })).rows, [[1]]);
    assert.deepEqual(await setup.query(`SELECT id FROM \`${table}\``), [], 'not visible before COMMIT');
    unwrap(await tx.executeRaw({ sql: 'COMMIT', args: [] }));
    unwrap(await tx.commit());
    assert.deepEqual(await setup.query(`SELECT id FROM \`${table}\``), [{ id: 1 }]);
  });

  test('a transaction rolls back what the engine rolls back', async () => {
    const table = await createTable('id INT NOT NULL PRIMARY KEY');
    const tx = unwrap(await adapter.startTransaction());
    unwrap(await tx.executeRaw({ sql: 'BEGIN', args: [] }));
    unwrap(await tx.executeRaw({ sql: `INSERT INTO \`${table}\` VALUES (?)`, args: [1] }));
    unwrap(await tx.executeRaw({ sql: 'ROLLBACK', args: [] }));
    unwrap(await tx.rollback());
    assert.deepEqual(
      unwrap(await adapter.queryRaw({ sql: `SELECT id FROM \`${table}\``, args: [] })).rows,
      [],
    );
  });

  test('connections return to the pool, with nothing left open, after every transaction', async () => {
    const table = await createTable('id INT NOT NULL PRIMARY KEY');
    // Twice the pool size (3): a leaked connection would make a later start time out.
    for (let id = 1; id <= 6; id++) {
      const tx = unwrap(await adapter.startTransaction());
      unwrap(await tx.executeRaw({ sql: 'BEGIN', args: [] }));
      unwrap(await tx.executeRaw({ sql: `INSERT INTO \`${table}\` VALUES (?)`, args: [id] }));
      // No ROLLBACK sent, as when the engine's own failed: releasing must not keep the rows.
      unwrap(await tx.rollback());
    }
    assert.deepEqual(
      unwrap(await adapter.queryRaw({ sql: `SELECT id FROM \`${table}\``, args: [] })).rows,
      [],
    );
  });

  test('a duplicate key is a Mysql error 1062', async () => {
    const table = await createTable('id INT NOT NULL PRIMARY KEY, name VARCHAR(191) NOT NULL UNIQUE');
    const insert = (id) =>
      adapter.executeRaw({ sql: `INSERT INTO \`${table}\` VALUES (?, ?)`, args: [id, 'same'] });
    unwrap(await insert(1));
    const result = await insert(2);
    assert.equal(result.ok, false);
    assert.equal(result.error.kind, 'Mysql');
    assert.equal(result.error.code, 1062);
    assert.equal(result.error.state, '23000');
    assert.match(result.error.message, /Duplicate entry 'same'/);
  });

  test('an SQL error is a Mysql error, and the pool goes on', async () => {
    const result = await adapter.queryRaw({ sql: 'SELEC 1', args: [] });
    assert.equal(result.ok, false);
    assert.deepEqual([result.error.kind, result.error.code, result.error.state], ['Mysql', 1064, '42000']);
    assert.deepEqual(unwrap(await adapter.queryRaw({ sql: 'SELECT 1 AS one', args: [] })).rows, [[1]]);
  });
});

describe('MysqlAdapter when the server cannot be used', () => {
  const unreachable = (params = {}) => {
    const url = new URL(DATABASE_URL);
    url.hostname = '127.0.0.1';
    url.port = '1'; // nothing listens there
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.toString();
  };

  async function timed(promise) {
    const start = performance.now();
    const value = await promise;
    return [value, performance.now() - start];
  }

  test('an unreachable server is an error result within pool_timeout', async () => {
    const logged = [];
    const { adapter, close } = createMysqlAdapter(unreachable({ pool_timeout: '1' }), (line) =>
      logged.push(line),
    );
    try {
      const [query, queryMs] = await timed(adapter.queryRaw({ sql: 'SELECT 1', args: [] }));
      assert.equal(query.ok, false);
      assert.equal(query.error.kind, 'Mysql');
      assert.match(query.error.message, /ECONNREFUSED/);
      assert.ok(queryMs < 3000, `took ${queryMs} ms`);
      const [tx, txMs] = await timed(adapter.startTransaction());
      assert.equal(tx.ok, false);
      assert.ok(txMs < 3000, `took ${txMs} ms`);
      assert.ok(
        logged.some((line) => line.includes('ECONNREFUSED')),
        logged.join('\n'),
      );
    } finally {
      await close();
    }
  });

  test('by default an unreachable server is reported within a few seconds', async () => {
    const adapter = new MysqlAdapter(unreachable());
    try {
      const [[query, execute], ms] = await timed(
        Promise.all([
          adapter.queryRaw({ sql: 'SELECT 1', args: [] }),
          adapter.executeRaw({ sql: 'DELETE FROM nothing', args: [] }),
        ]),
      );
      assert.equal(query.ok, false);
      assert.equal(execute.ok, false);
      assert.ok(ms < 7000, `took ${ms} ms`);
    } finally {
      await adapter.end();
    }
  });

  test("the server's refusal surfaces with its own code", async () => {
    const url = new URL(urlWith({ pool_timeout: '1' }));
    url.pathname = `/no_such_db_${RUN}`;
    const adapter = new MysqlAdapter(url.toString());
    try {
      const result = await adapter.queryRaw({ sql: 'SELECT 1', args: [] });
      assert.equal(result.ok, false);
      assert.deepEqual([result.error.kind, result.error.code], ['Mysql', 1049]);
    } finally {
      await adapter.end();
    }
  });
});

// ---------------------------------------------------------------------------------------
// End to end: Prisma's 5.17 wasm query engine (mysql build) over this adapter.

const require = createRequire(import.meta.url);
let queryEngineClass;

// The package's query_engine.js imports the .wasm as an ES module, which Node does not
// support: instantiate it by hand, as @prisma/client's runtime does. Once per process: the
// glue module holds a single instance, and a second one would pull the memory from under
// engines already running.
function instantiateQueryEngine() {
  queryEngineClass ??= (async () => {
    const glue = await import('@prisma/query-engine-wasm/mysql/query_engine_bg.js');
    const bytes = readFileSync(require.resolve('@prisma/query-engine-wasm/mysql/query_engine_bg.wasm'));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      './query_engine_bg.js': glue,
    });
    glue.__wbg_set_wasm(instance.exports);
    return glue.QueryEngine;
  })();
  return queryEngineClass;
}

describe('wasm query engine over MysqlAdapter', () => {
  const table = `mat_${RUN}_item`;
  const datamodel = `
datasource db {
  provider = "mysql"
  url      = "mysql://x"
}

model Item {
  id   Int      @id @default(autoincrement())
  name String   @unique
  body String   @db.MediumText
  at   DateTime
  big  BigInt?

  @@map("${table}")
}

model Extra {
  id    Int      @id
  meta  Json?
  flag  Boolean
  bytes Bytes?
  price Decimal? @db.Decimal(20, 4)

  @@map("${table}_extra")
}
`;
  let setup;
  let adapter;
  let engine;
  const logs = [];

  const dateTime = (iso) => ({ $type: 'DateTime', value: iso });
  const run = async (body, txId) => JSON.parse(await engine.query(JSON.stringify(body), '{}', txId));
  const item = (action, args, selection = { $scalars: true }) => ({
    modelName: 'Item',
    action,
    query: { arguments: args, selection },
  });
  const raw = (action, query, parameters = []) => ({
    action,
    query: { arguments: { query, parameters: JSON.stringify(parameters) }, selection: {} },
  });
  const names = async () =>
    (await run(item('findMany', { orderBy: [{ name: 'asc' }] }, { name: true }))).data.findManyItem.map(
      (row) => row.name,
    );

  before(async () => {
    setup = await rawConnection();
    await setup.query(`CREATE TABLE \`${table}\` (
      \`id\` INT NOT NULL AUTO_INCREMENT,
      \`name\` VARCHAR(191) NOT NULL,
      \`body\` MEDIUMTEXT NOT NULL,
      \`at\` DATETIME(3) NOT NULL,
      \`big\` BIGINT NULL,
      UNIQUE INDEX \`${table}_name_key\`(\`name\`),
      PRIMARY KEY (\`id\`)
    ) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await setup.query(`CREATE TABLE \`${table}_extra\` (
      \`id\` INT NOT NULL,
      \`meta\` JSON NULL,
      \`flag\` BOOLEAN NOT NULL,
      \`bytes\` LONGBLOB NULL,
      \`price\` DECIMAL(20, 4) NULL,
      PRIMARY KEY (\`id\`)
    ) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const Engine = await instantiateQueryEngine();
    adapter = new MysqlAdapter(urlWith({ connection_limit: '3' }));
    engine = new Engine(
      { datamodel, logLevel: 'info', logQueries: true },
      (line) => logs.push(JSON.parse(line)),
      bindAdapter(adapter),
    );
    await engine.connect('{}');
  });

  after(async () => {
    await engine?.disconnect('{}');
    await adapter?.end();
    await setup.query(`DROP TABLE IF EXISTS \`${table}\`, \`${table}_extra\``);
    await setup.end();
  });

  test('createOne returns the row with tagged DateTime and BigInt', async () => {
    const response = await run(
      item('createOne', {
        data: {
          name: 'alpha 😀',
          body: 'é'.repeat(100_000),
          at: dateTime('2030-01-02T03:04:05.678Z'),
          big: { $type: 'BigInt', value: '9007199254740993' },
        },
      }),
    );
    assert.deepEqual(response, {
      data: {
        createOneItem: {
          id: 1,
          name: 'alpha 😀',
          body: 'é'.repeat(100_000),
          at: dateTime('2030-01-02T03:04:05.678Z'),
          big: { $type: 'BigInt', value: '9007199254740993' },
        },
      },
    });
    const [row] = await setup.query({
      sql: `SELECT at, big FROM \`${table}\` WHERE id = 1`,
      dateStrings: true,
    });
    assert.equal(row.at, '2030-01-02 03:04:05.678', 'stored as UTC');
    assert.equal(row.big, 9007199254740993n);
  });

  test('findUnique finds by unique field and answers null on a miss', async () => {
    const hit = await run(
      item('findUnique', { where: { name: 'alpha 😀' } }, { id: true, at: true, big: true }),
    );
    assert.deepEqual(hit.data.findUniqueItem, {
      id: 1,
      at: dateTime('2030-01-02T03:04:05.678Z'),
      big: { $type: 'BigInt', value: '9007199254740993' },
    });
    assert.deepEqual(await run(item('findUnique', { where: { name: 'nobody' } })), {
      data: { findUniqueItem: null },
    });
  });

  test('a duplicate create fails with P2002 naming the index', async () => {
    const response = await run(
      item('createOne', { data: { name: 'alpha 😀', body: 'b', at: dateTime('2030-01-01T00:00:00.000Z') } }),
    );
    assert.equal(response.data, undefined);
    assert.equal(response.errors[0].user_facing_error.error_code, 'P2002');
    assert.deepEqual(response.errors[0].user_facing_error.meta, { target: `${table}_name_key` });
  });

  test('upsertOne creates, then updates', async () => {
    const upsert = (body) =>
      run(
        item(
          'upsertOne',
          {
            where: { name: 'beta' },
            create: { name: 'beta', body, at: dateTime('2031-05-06T07:08:09.010Z') },
            update: { body },
          },
          { name: true, body: true, at: true, big: true },
        ),
      );
    assert.deepEqual((await upsert('first')).data.upsertOneItem, {
      name: 'beta',
      body: 'first',
      at: dateTime('2031-05-06T07:08:09.010Z'),
      big: null,
    });
    assert.equal((await upsert('second')).data.upsertOneItem.body, 'second');
    assert.deepEqual(await names(), ['alpha 😀', 'beta']);
  });

  test('findMany orders, filters on DateTime and counts', async () => {
    await run(
      item('createOne', { data: { name: 'gamma', body: 'g', at: dateTime('2020-01-01T00:00:00.000Z') } }),
    );
    const latestFirst = await run(item('findMany', { orderBy: [{ at: 'desc' }] }, { name: true }));
    assert.deepEqual(latestFirst.data.findManyItem, [
      { name: 'beta' },
      { name: 'alpha 😀' },
      { name: 'gamma' },
    ]);
    const before2030 = await run(
      item(
        'aggregate',
        { where: { at: { lt: dateTime('2030-01-02T03:04:05.679Z') } } },
        { _count: { selection: { _all: true } } },
      ),
    );
    assert.deepEqual(before2030, { data: { aggregateItem: { _count: { _all: 2 } } } });
  });

  test('updateMany and deleteMany answer counts', async () => {
    const update = await run(
      item(
        'updateMany',
        { where: { name: { in: ['beta', 'gamma'] } }, data: { body: 'touched' } },
        { count: true },
      ),
    );
    assert.deepEqual(update, { data: { updateManyItem: { count: 2 } } });
    const remove = await run(
      item('deleteMany', { where: { at: { lt: dateTime('2021-01-01T00:00:00.000Z') } } }, { count: true }),
    );
    assert.deepEqual(remove, { data: { deleteManyItem: { count: 1 } } });
    assert.deepEqual(await names(), ['alpha 😀', 'beta']);
  });

  test('deleteOne of a missing row fails with P2025', async () => {
    const response = await run(item('deleteOne', { where: { name: 'nobody' } }));
    assert.equal(response.errors[0].user_facing_error.error_code, 'P2025');
  });

  test('queryRaw and executeRaw', async () => {
    const selected = await run(
      raw('queryRaw', `SELECT name, at, big FROM \`${table}\` WHERE name = ?`, ['alpha 😀']),
    );
    assert.deepEqual(selected, {
      data: {
        queryRaw: {
          columns: ['name', 'at', 'big'],
          types: ['string', 'datetime', 'bigint'],
          rows: [['alpha 😀', '2030-01-02T03:04:05.678+00:00', '9007199254740993']],
        },
      },
    });
    assert.deepEqual(await run(raw('queryRaw', 'SELECT 1', [])), {
      data: { queryRaw: { columns: ['1'], types: ['int'], rows: [[1]] } },
    });
    const executed = await run(
      raw('executeRaw', `UPDATE \`${table}\` SET body = ? WHERE name = ?`, ['raw', 'beta']),
    );
    assert.deepEqual(executed, { data: { executeRaw: 1 } });
    const failed = await run(raw('queryRaw', 'SELEC 1', []));
    assert.equal(failed.errors[0].user_facing_error.error_code, 'P2010');
    assert.equal(failed.errors[0].user_facing_error.meta.code, '1064');
  });

  test('a batch runs in one transaction', async () => {
    const response = JSON.parse(
      await engine.query(
        JSON.stringify({
          batch: [
            item('findUnique', { where: { name: 'beta' } }, { body: true }),
            item('deleteMany', { where: { name: 'nobody' } }, { count: true }),
          ],
          transaction: {},
        }),
        '{}',
        undefined,
      ),
    );
    assert.deepEqual(response, {
      batchResult: [
        { data: { findUniqueItem: { body: 'raw' } } },
        { data: { deleteManyItem: { count: 0 } } },
      ],
    });
  });

  test('an interactive transaction commits', async () => {
    const started = JSON.parse(
      await engine.startTransaction(JSON.stringify({ max_wait: 2000, timeout: 5000 }), '{}'),
    );
    assert.match(started.id, /^c[a-z0-9]{24}$/);
    const created = await run(
      item(
        'createOne',
        { data: { name: 'in-tx', body: 't', at: dateTime('2032-01-01T00:00:00.000Z') } },
        { name: true },
      ),
      started.id,
    );
    assert.deepEqual(created, { data: { createOneItem: { name: 'in-tx' } } });
    assert.deepEqual(
      await setup.query(`SELECT name FROM \`${table}\` WHERE name = 'in-tx'`),
      [],
      'isolated until commit',
    );
    assert.equal(await engine.commitTransaction(started.id, '{}'), '{}');
    assert.deepEqual(await names(), ['alpha 😀', 'beta', 'in-tx']);
    const again = JSON.parse(await engine.commitTransaction(started.id, '{}'));
    assert.equal(again.error_code, 'P2028');
  });

  test('an interactive transaction rolls back', async () => {
    const { id } = JSON.parse(
      await engine.startTransaction(JSON.stringify({ max_wait: 2000, timeout: 5000 }), '{}'),
    );
    const removed = await run(item('deleteMany', {}, { count: true }), id);
    assert.deepEqual(removed, { data: { deleteManyItem: { count: 3 } } });
    assert.deepEqual(await run(item('findMany', {}, { name: true }), id), { data: { findManyItem: [] } });
    assert.equal(await engine.rollbackTransaction(id, '{}'), '{}');
    assert.deepEqual(await names(), ['alpha 😀', 'beta', 'in-tx']);
  });

  test('the engine sent BEGIN, COMMIT and ROLLBACK through the adapter', () => {
    const sent = logs.filter((line) => line.is_query === true).map((line) => line.query);
    for (const statement of ['BEGIN', 'COMMIT', 'ROLLBACK']) assert.ok(sent.includes(statement), statement);
  });

  test('Json, Boolean, Bytes and Decimal fields round-trip', async () => {
    const values = {
      meta: { $type: 'Json', value: '{"a":[1,2],"s":"ü"}' },
      flag: true,
      bytes: { $type: 'Bytes', value: 'AAEC/w==' },
      price: { $type: 'Decimal', value: '12345.6789' },
    };
    const extra = (action, args) => ({
      modelName: 'Extra',
      action,
      query: { arguments: args, selection: { $scalars: true } },
    });
    const created = await run(extra('createOne', { data: { id: 1, ...values } }));
    assert.deepEqual(created, { data: { createOneExtra: { id: 1, ...values } } });
    const [stored] = await setup.query(`SELECT meta, flag FROM \`${table}_extra\``);
    // The connector parses JSON columns: a doubly encoded value would come back a string.
    assert.deepEqual(stored.meta, { a: [1, 2], s: 'ü' });
    assert.equal(stored.flag, 1);
    const found = await run(extra('findUnique', { where: { id: 1 } }));
    assert.deepEqual(found, { data: { findUniqueExtra: { id: 1, ...values } } });
    const cleared = await run(
      extra('updateOne', {
        where: { id: 1 },
        data: { meta: { $type: 'Enum', value: 'DbNull' }, flag: false, bytes: null },
      }),
    );
    assert.deepEqual(cleared.data.updateOneExtra, {
      id: 1,
      meta: null,
      flag: false,
      bytes: null,
      price: values.price,
    });
  });

  test('with the server down the engine answers errors, not hangs', async () => {
    const down = new MysqlAdapter('mysql://root@127.0.0.1:1/test?pool_timeout=1');
    const Engine = await instantiateQueryEngine();
    const offline = new Engine(
      { datamodel, logLevel: 'info', logQueries: false },
      () => {},
      bindAdapter(down),
    );
    try {
      await offline.connect('{}');
      const response = JSON.parse(await offline.query(JSON.stringify(item('findMany', {})), '{}', undefined));
      assert.match(response.errors[0].user_facing_error.message, /ECONNREFUSED/);
      const started = JSON.parse(
        await offline.startTransaction(JSON.stringify({ max_wait: 2000, timeout: 5000 }), '{}'),
      );
      assert.equal(started.id, undefined);
      assert.match(started.message, /ECONNREFUSED/);
    } finally {
      await offline.disconnect('{}');
      await down.end();
    }
  });
});
