#!/usr/bin/env node
// `prisma generate` for both schemas (prisma/sqlite.prisma, prisma/postgresql.prisma)
// into generated/<provider>, offline.
//
// Prisma 7's generate never runs the schema engine, but the CLI still wants
// its native binary on disk and would download it from binaries.prisma.sh.
// Pointing PRISMA_SCHEMA_ENGINE_BINARY at an existing file skips that (the
// query side needs nothing native: the generated client carries the wasm
// query compiler and talks to the database through the driver adapter).
// Set PRISMA_SCHEMA_ENGINE_BINARY yourself to use a real binary instead.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY:
    process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? path.join(here, '..', 'engine', 'schema-engine'),
  CHECKPOINT_DISABLE: '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
};
const cli = path.join(here, 'node_modules', 'prisma', 'build', 'index.js');

for (const provider of ['sqlite', 'postgresql']) {
  const schema = path.join(here, 'prisma', `${provider}.prisma`);
  const result = spawnSync(process.execPath, [cli, 'generate', '--schema', schema], {
    cwd: here,
    env,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
