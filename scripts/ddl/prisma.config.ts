// Prisma 6.19 CLI config for ./generate: the JavaScript schema engine (engine 'js'),
// which runs Prisma's bundled wasm schema engine through an official driver adapter,
// so `prisma migrate diff` needs no native schema-engine download.
// PSS_DDL_PROVIDER picks the adapter: "sqlite" (libsql, a scratch file) or "postgresql" (pg).
import { defineConfig } from 'prisma/config'
import { PrismaLibSQL } from '@prisma/adapter-libsql'
import { PrismaPg } from '@prisma/adapter-pg'

const provider = process.env.PSS_DDL_PROVIDER ?? 'sqlite'

export default defineConfig({
  // The schema being diffed. The CLI reads it before any command to decide which engines to
  // fetch; with PRISMA_CLIENT_ENGINE_TYPE=client (set by ./generate) it then fetches none.
  schema: process.env.PSS_DDL_SCHEMA,
  experimental: { adapter: true },
  engine: 'js',
  async adapter() {
    if (provider === 'sqlite') {
      return new PrismaLibSQL({ url: process.env.PSS_DDL_SQLITE_URL ?? 'file::memory:' })
    }
    if (provider === 'postgresql') {
      return new PrismaPg({
        connectionString:
          process.env.PSS_DDL_POSTGRESQL_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
      })
    }
    throw new Error(`PSS_DDL_PROVIDER must be "sqlite" or "postgresql", not ${JSON.stringify(provider)}`)
  },
})
