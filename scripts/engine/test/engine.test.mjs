// The engine wrapper's own logic, without a database.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { explainConnectorErrors } from '../src/engine.mjs';

function registry(...errors) {
  return {
    registeredErrors: errors.map((error) => ({ error })),
    consumeError(id) {
      return this.registeredErrors[id];
    },
  };
}

const answer = (id) =>
  JSON.stringify({
    errors: [
      {
        error: `KnownError { message: "Error in external connector (id ${id})" }`,
        user_facing_error: { message: `Error in external connector (id ${id})`, error_code: 'P2036' },
      },
    ],
  });

test('a connector error carries the driver\'s message, in both places', () => {
  const errors = registry(new Error('Connection terminated "unexpectedly"'));
  const explained = JSON.parse(explainConnectorErrors(answer(0), errors));
  const expected = 'Error in external connector (id 0): Connection terminated "unexpectedly"';
  assert.equal(explained.errors[0].user_facing_error.message, expected);
  assert.ok(explained.errors[0].error.includes('Connection terminated'));
});

test('the registry entry is freed, so ids do not pile up', () => {
  const errors = registry(new Error('gone'));
  explainConnectorErrors(answer(0), errors);
  assert.equal(errors.registeredErrors[0], undefined);
});

test('an unknown id and other answers pass unchanged', () => {
  assert.equal(explainConnectorErrors(answer(3), registry()), answer(3));
  const data = '{"data":{"result":1}}';
  assert.equal(explainConnectorErrors(data, registry()), data);
});
