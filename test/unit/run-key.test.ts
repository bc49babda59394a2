import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRunKey, validateRunKey } from '../../src/engine/run-key.ts';
import { EngineError } from '../../src/engine/errors.ts';

test('auto keys are <profile>-<workflow>-<NN>, two digits at least and on past 99', () => {
  assert.equal(formatRunKey('acme', 'hello', 1), 'acme-hello-01');
  assert.equal(formatRunKey('acme', 'hello', 42), 'acme-hello-42');
  assert.equal(formatRunKey('acme', 'hello', 100), 'acme-hello-100');
});

test('typed keys: allowed characters pass, trimmed', () => {
  assert.equal(validateRunKey('  my.run_01-b '), 'my.run_01-b');
});

test('typed keys: bad characters, empty, too long and path tricks are refused with a clear message', () => {
  for (const bad of ['', ' ', '../etc', 'a/b', 'a b', 'é', '-lead', '.hidden', 'x'.repeat(101), 'a\u0000b', '<script>']) {
    assert.throws(() => validateRunKey(bad), (e: unknown) => e instanceof EngineError && e.code === 'bad_key' && /letters, digits/.test(e.message), bad);
  }
});
