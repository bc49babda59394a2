// flake.nix is checked for syntax only: CI cannot fetch nixpkgs, so the flake is never evaluated
// or built here. The real Nix parser reads it, and the parsed flake must still offer the three
// things the README promises: `nix develop`, `nix build` and `nix run`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FLAKE = path.join(ROOT, 'flake.nix');

/** `nix-instantiate --parse flake.nix`: the parsed expression on stdout, or why it did not parse. */
function parseFlake(): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('nix-instantiate', ['--parse', FLAKE], { encoding: 'utf8' });
  // A missing parser is a broken test machine, not a pass: say how to get it (.ci/run installs it).
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    assert.fail('nix-instantiate not found: install it (Debian/Ubuntu: apt-get install -y nix-bin) to check flake.nix');
  }
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('flake.nix parses with the real Nix parser', () => {
  const r = parseFlake();
  assert.equal(r.status, 0, `nix-instantiate --parse flake.nix failed:\n${r.stderr}`);
});

test('the parsed flake has outputs for nix develop, nix build and nix run', () => {
  const { stdout } = parseFlake();
  // The parser prints attribute definitions as `name = `; each output must be defined, not just named in a comment.
  for (const output of ['devShells', 'packages', 'apps']) {
    assert.match(stdout, new RegExp(`\\b${output} = `), `flake.nix defines no ${output} output`);
  }
  // The app is the README's `railbook serve`, and the dev shell points the tests at its Chromium and kernel.
  assert.match(stdout, /bin\/railbook serve/);
  assert.match(stdout, /RAILBOOK_CHROMIUM/);
  assert.match(stdout, /JUPYTER_PATH/);
});
