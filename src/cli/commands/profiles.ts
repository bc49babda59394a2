import type { Command } from 'commander';
import type { Profiles } from '../../store/profiles.ts';
import { openStore, withGlobalOptions, type GlobalOptions } from '../context.ts';

/** Profiles only touch the store: no workflow files are loaded. */
async function withStore<T>(opts: GlobalOptions, fn: (profiles: Profiles) => Promise<T>): Promise<T> {
  const [{ Store }, { resolveDataDir }] = await Promise.all([import('../../store/store.ts'), import('../../store/data-dir.ts')]);
  const store = await openStore(opts, resolveDataDir, (dir, databaseUrl) => Store.open(dir, { databaseUrl }));
  try {
    return await fn(store.profiles);
  } finally {
    await store.close();
  }
}

export function profilesCommand(program: Command): void {
  const profiles = program
    .command('profiles')
    .description('list, create, rename or switch profiles (a profile groups runs: a client, a project)')
    .addHelpText('after', `
A profile's name starts new run keys (<profile>-<workflow>-01). Renaming keeps existing keys.

Examples:
  railbook profiles                       list them; * marks the current one
  railbook profiles create acme
  railbook profiles switch acme           new runs (web and CLI) now start with acme-
  railbook profiles rename acme acme_corp`);

  const list = profiles
    .command('list', { isDefault: true })
    .description('list the profiles; * marks the current one')
    .action(async (opts: GlobalOptions) => {
      await withStore(opts, async (p) => {
        const current = await p.current();
        for (const name of await p.list()) process.stdout.write(`${name === current ? '*' : ' '} ${name}\n`);
      });
    });
  withGlobalOptions(list, { workflows: false });

  const create = profiles
    .command('create')
    .argument('<name>', 'letters, digits, "_" or "." (no "-")')
    .description('create a profile')
    .action(async (name: string, opts: GlobalOptions) => {
      await withStore(opts, async (p) => {
        const n = await p.create(name);
        process.stdout.write(`created profile ${n}${(await p.current()) === n ? '' : ` (switch to it with: railbook profiles switch ${n})`}\n`);
      });
    });
  withGlobalOptions(create, { workflows: false });

  const rename = profiles
    .command('rename')
    .argument('<from>', 'current name')
    .argument('<to>', 'new name')
    .description('rename a profile; its runs move with it and keep their keys')
    .action(async (from: string, to: string, opts: GlobalOptions) => {
      await withStore(opts, async (p) => {
        const n = await p.rename(from, to);
        process.stdout.write(`renamed profile ${from} to ${n}\n`);
      });
    });
  withGlobalOptions(rename, { workflows: false });

  const sw = profiles
    .command('switch')
    .argument('<name>', 'profile to make current')
    .description('make a profile the current one (for new runs in the web app and the CLI)')
    .action(async (name: string, opts: GlobalOptions) => {
      await withStore(opts, async (p) => {
        await p.switch(name);
        process.stdout.write(`current profile: ${name}\n`);
      });
    });
  withGlobalOptions(sw, { workflows: false });
}
