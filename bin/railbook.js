#!/usr/bin/env node
// The `railbook` command. Railbook is TypeScript run through tsx (no build step, see
// docs/DECISIONS.md): register tsx's loader, then hand over to src/cli/main.ts.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// The repository's tsconfig, whatever the current folder: it sets the JSX runtime (hono/jsx)
// that the widgets and workflows are compiled with.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });

// `railbook export … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
