// Parser for the GraphQL documents that Prisma Client Python 0.15 builds
// (prisma/_builder.py). They are a small, regular subset of GraphQL:
//
//   mutation {
//     result: createOneSession
//     (
//       data: { id: "a" expiresAt: "2030-01-01T00:00:00+00:00" }
//     )
//     {
//       id
//       author( where: { ... } ) { id }
//       _count { _all }
//     }
//   }
//
// Every scalar in it was written by Python's json.dumps, so scalars are read
// with JSON.parse: that keeps string escapes and numbers exactly as Python
// meant them, which graphql-js would not (lone surrogates, for one).

export class GraphQLSyntaxError extends Error {
  constructor(message, source, position) {
    super(`${message} at offset ${position}: ${JSON.stringify(source.slice(position, position + 40))}`);
    this.name = 'GraphQLSyntaxError';
  }
}

// Integers beyond 2**53 lose digits in a JS number; they travel as the
// JSON protocol's tagged BigInt instead, which the engine reads for any
// integer-typed field.
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// Python's textwrap.indent, with which the builder indents nested nodes,
// splits lines with str.splitlines(): besides \n that breaks at U+0085,
// U+2028 and U+2029, which json.dumps(ensure_ascii=False) leaves raw inside
// strings. So after each of them the builder put the indentation of the
// string's line into the string itself, unless the rest of that "line" was
// blank (Python's str.isspace). The parser takes it out again.
const PYTHON_RAW_BREAK = /([\x85\u2028\u2029])/;
const PYTHON_BLANK = /^[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

function isSpace(code) {
  // space, tab, newline, carriage return, comma (insignificant in GraphQL)
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 44;
}

function isNameStart(code) {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isNameChar(code) {
  return isNameStart(code) || (code >= 48 && code <= 57);
}

class Parser {
  constructor(source) {
    this.source = source;
    this.pos = 0;
  }

  fail(message) {
    throw new GraphQLSyntaxError(message, this.source, this.pos);
  }

  skipSpace() {
    const { source } = this;
    while (this.pos < source.length && isSpace(source.charCodeAt(this.pos))) this.pos += 1;
  }

  peek() {
    this.skipSpace();
    return this.source[this.pos];
  }

  expect(char) {
    if (this.peek() !== char) this.fail(`expected '${char}'`);
    this.pos += 1;
  }

  accept(char) {
    if (this.peek() !== char) return false;
    this.pos += 1;
    return true;
  }

  name() {
    this.skipSpace();
    const start = this.pos;
    if (!isNameStart(this.source.charCodeAt(start))) this.fail('expected a name');
    this.pos += 1;
    while (this.pos < this.source.length && isNameChar(this.source.charCodeAt(this.pos))) this.pos += 1;
    return this.source.slice(start, this.pos);
  }

  string() {
    const { source } = this;
    const start = this.pos;
    let index = start + 1;
    for (;;) {
      const next = source.indexOf('"', index);
      if (next === -1) this.fail('unterminated string');
      // the quote is escaped when an odd number of backslashes precede it
      let slashes = 0;
      for (let back = next - 1; source.charCodeAt(back) === 92; back -= 1) slashes += 1;
      index = next + 1;
      if (slashes % 2 === 0) break;
    }
    this.pos = index;
    const raw = source.slice(start, index);
    return JSON.parse(PYTHON_RAW_BREAK.test(raw) ? this.unindent(raw, start) : raw);
  }

  // `raw` (quotes included) without the indentation that textwrap.indent
  // inserted after its line breaks (see PYTHON_RAW_BREAK).
  unindent(raw, start) {
    // Each line holds at most one string, so this line's leading spaces are
    // the builder's indentation; the line starts after a real \n.
    const lineStart = this.source.lastIndexOf('\n', start) + 1;
    const indentation = /^ */.exec(this.source.slice(lineStart, start))[0];
    const parts = raw.split(PYTHON_RAW_BREAK); // text, break, text, break, ..., text
    for (let index = 2; index < parts.length; index += 2) {
      const part = parts[index];
      // the last part ends with the closing quote, so it is never blank
      if (!PYTHON_BLANK.test(part) && part.startsWith(indentation)) {
        parts[index] = part.slice(indentation.length);
      }
    }
    return parts.join('');
  }

  number() {
    const match = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
    match.lastIndex = this.pos;
    const found = match.exec(this.source);
    if (!found) this.fail('expected a number');
    this.pos = match.lastIndex;
    const text = found[0];
    if (found[1] === undefined && found[2] === undefined) {
      const big = BigInt(text);
      if (big > MAX_SAFE || big < -MAX_SAFE) return { $type: 'BigInt', value: text };
    }
    return JSON.parse(text);
  }

  value() {
    const char = this.peek();
    if (char === '"') return this.string();
    if (char === '{') return this.object();
    if (char === '[') return this.list();
    if (char === '-' || (char >= '0' && char <= '9')) return this.number();
    const word = this.name();
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    // Python never writes enum literals (it quotes them), so a bare word is a bug.
    return this.fail(`unexpected word '${word}'`);
  }

  list() {
    this.expect('[');
    const items = [];
    while (!this.accept(']')) items.push(this.value());
    return items;
  }

  object() {
    this.expect('{');
    const fields = {};
    while (!this.accept('}')) {
      const key = this.name();
      this.expect(':');
      fields[key] = this.value();
    }
    return fields;
  }

  arguments() {
    const args = {};
    if (!this.accept('(')) return args;
    while (!this.accept(')')) {
      const key = this.name();
      this.expect(':');
      args[key] = this.value();
    }
    return args;
  }

  // A selection set becomes the JSON protocol's selection object:
  // scalars map to true, nested fields to {arguments, selection}.
  selection() {
    const selection = {};
    this.expect('{');
    while (!this.accept('}')) {
      const field = this.name();
      const hasArguments = this.peek() === '(';
      const args = this.arguments();
      if (this.peek() === '{') {
        selection[field] = { arguments: args, selection: this.selection() };
      } else if (hasArguments) {
        selection[field] = { arguments: args, selection: {} };
      } else {
        selection[field] = true;
      }
    }
    return selection;
  }

  document() {
    const operation = this.name();
    if (operation !== 'query' && operation !== 'mutation') this.fail(`unknown operation '${operation}'`);
    this.expect('{');
    const alias = this.name();
    this.expect(':');
    const field = this.name();
    const args = this.arguments();
    const selection = this.peek() === '{' ? this.selection() : null;
    this.expect('}');
    this.skipSpace();
    if (this.pos !== this.source.length) this.fail('trailing input');
    return { operation, alias, field, arguments: args, selection };
  }
}

/**
 * Parse one document of Prisma Client Python's query builder.
 * @returns {{operation: string, alias: string, field: string, arguments: object, selection: object|null}}
 */
export function parseDocument(source) {
  return new Parser(source).document();
}
