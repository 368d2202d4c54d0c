// SQLite errors that Prisma's native engine reports with an error code but
// that reach the wasm engine through libsql as a bare SQLITE_ERROR (extended
// code 1), which it passes on without one. Adding the native code back lets
// the Python client raise the same exception class (TableNotFoundError...).

const KNOWN_ERRORS = [
  {
    pattern: /no such table: (\S+)/,
    code: 'P2021',
    describe: (name) => ({
      message: `The table \`${name}\` does not exist in the current database.`,
      meta: { table: name },
    }),
  },
  {
    pattern: /no such column: (\S+)/,
    code: 'P2022',
    describe: (name) => ({
      message: `The column \`${name}\` does not exist in the current database.`,
      meta: { column: name },
    }),
  },
];

function addCode(error) {
  if (!error || typeof error.error !== 'string' || error.user_facing_error?.error_code) return;
  for (const known of KNOWN_ERRORS) {
    const match = known.pattern.exec(error.error);
    if (match) {
      const name = match[1].replace(/["')]+$/, '');
      error.user_facing_error = { is_panic: false, error_code: known.code, ...known.describe(name) };
      return;
    }
  }
}

/** Give coded errors to the answer (single or batch) of a SQLite query, in place. */
export function addSqliteErrorCodes(answer) {
  answer?.errors?.forEach(addCode);
  answer?.batchResult?.forEach((item) => item?.errors?.forEach(addCode));
  return answer;
}
