// `railbook backup` / `railbook restore` and the automatic daily backup, on real data folders:
// a backup taken while an engine keeps creating runs, uploading files and deleting runs restores
// complete and consistent; damaged or hostile archives are refused, naming what is wrong.
// SQLite only: a backup is the SQLite file (its online backup API) and the artifacts beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { create as createTar, extract } from 'tar';
import { workflow } from '../../src/engine/index.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { main } from '../../src/cli/main.ts';
import { backupSettings } from '../../src/cli/commands/serve.ts';
import { hashFile } from '../../src/store/artifacts.ts';
import { isArtifactRef, type ArtifactRef } from '../../src/store/artifact-ref.ts';
import { listAutoBackups, parseBackupKeep, startAutoBackup } from '../../src/store/auto-backup.ts';
import { createBackup, defaultBackupPath } from '../../src/store/backup.ts';
import { restoreBackup } from '../../src/store/restore.ts';
import { Store } from '../../src/store/store.ts';
import { fileUpload, text } from '../../src/widgets/index.ts';
import { tempDir, tempEngine } from '../helpers/temp-engine.ts';

/** A note, an uploaded file (an artifact), and a step that reads the file back. */
const filesWorkflow = workflow({ id: 'backupfiles', title: 'Backup test' })
  .step({ id: 'note', title: 'Note', fields: { note: text({ label: 'Note' }) } })
  .step({ id: 'upload', title: 'Upload', fields: { file: fileUpload({ label: 'File' }) } })
  .step({ id: 'read', title: 'Read', fields: {}, run: ({ outputs }) => ({ bytes: outputs.upload.file.size }) });

async function engineWithFiles(): Promise<Awaited<ReturnType<typeof tempEngine>>> {
  const t = await tempEngine();
  t.engine.registry.add(filesWorkflow);
  return t;
}

/** One whole run: a note, a file of its own (distinct content), the read step. Returns its key. */
async function writeRun(engine: Engine, scratch: string, i: number): Promise<string> {
  const { state } = await engine.open('backupfiles');
  const local = path.join(scratch, `in-${i}.txt`);
  writeFileSync(local, `file ${i} `.repeat(200 + i));
  await (await engine.submit(state.key, 'note', { note: `note ${i}` })).completion;
  await (await engine.submit(state.key, 'upload', { file: local })).completion;
  await (await engine.submit(state.key, 'read', {})).completion;
  return state.key;
}

function refsIn(v: unknown, out: ArtifactRef[] = []): ArtifactRef[] {
  if (isArtifactRef(v)) out.push(v);
  else if (Array.isArray(v)) for (const x of v) refsIn(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) refsIn(x, out);
  return out;
}

/** Unpacks an archive, lets `edit` change the files, and packs them again in the same order. */
async function repack(archive: string, out: string, edit: (dir: string) => void): Promise<void> {
  const t = tempDir('railbook-repack-');
  try {
    const names: string[] = [];
    await extract({ file: archive, cwd: t.dir, onReadEntry: (e) => { if (e.type === 'File') names.push(e.path); } });
    edit(t.dir);
    await createTar({ gzip: true, file: out, cwd: t.dir, portable: true }, names);
  } finally {
    t.cleanup();
  }
}

/** Runs the `railbook` command in this process; returns its exit code and what it printed. */
async function railbook(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const [out, err] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((s: string | Uint8Array) => { stdout += String(s); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => { stderr += String(s); return true; }) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'railbook', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

test('a backup taken while runs are being written and deleted restores complete and consistent', async () => {
  const t = await engineWithFiles();
  const scratch = tempDir('railbook-scratch-');
  const target = tempDir('railbook-restored-');
  try {
    for (let i = 0; i < 4; i++) await writeRun(t.engine, scratch.dir, i);
    // The writer keeps going (every third run deleted again) until the backup has finished.
    let done = false;
    let written = 0;
    const writer = (async () => {
      for (let i = 100; !done; i++) {
        const key = await writeRun(t.engine, scratch.dir, i);
        if (i % 3 === 0) await t.engine.deleteRun(key);
        written++;
      }
    })();
    const archive = path.join(scratch.dir, 'out', 'live.tar.gz');
    const manifest = await createBackup(t.dataDir, archive);
    done = true;
    await writer;
    assert.ok(written > 0, 'runs were written while the backup ran');

    const report = await restoreBackup(archive, target.dir);
    assert.deepEqual(report.warnings, []);
    assert.equal(report.runs, manifest.counts.runs);
    assert.ok(manifest.counts.runs >= 4);
    const restored = await Store.open(target.dir);
    try {
      const keys = (await restored.runs.list({ archived: 'all', limit: 100_000 })).map((r) => r.key);
      assert.equal(keys.length, manifest.counts.runs);
      assert.equal(restored.sqlite.pragma('integrity_check', { simple: true }), 'ok');
      for (const key of keys) {
        const st = (await restored.runs.get(key))!;
        assert.ok((await restored.events.forRun(key)).some((e) => e.type === 'created'), `${key}: its history came along`);
        // Every file the run refers to is there, with the content it recorded.
        for (const ref of refsIn(st)) {
          const file = path.join(target.dir, ref.path);
          assert.ok(existsSync(file), `${ref.path} restored`);
          assert.equal(await hashFile(file), ref.sha256, `${ref.path} intact`);
        }
        // What the backup holds of a run is what the live run had (it only moved on since).
        const live = await t.engine.store.runs.get(key);
        if (live) for (const [id, s] of Object.entries(st.steps)) if (s.status === 'done') assert.deepEqual(live.steps[id]!.input, s.input, `${key}/${id}`);
      }
      assert.equal((await restored.sql.get<{ n: number }>('SELECT CAST(COUNT(*) AS INTEGER) AS n FROM events'))!.n, manifest.counts.events);
      // The backups folder and temp files are never part of a backup.
      assert.ok(manifest.files.every((f) => f.path === 'railbook.db' || /^artifacts\/[^/]+\/[^/]+$/.test(f.path)));
    } finally {
      await restored.close();
    }
  } finally {
    await t.close();
    scratch.cleanup();
    target.cleanup();
  }
});

test('restore refuses a data folder that is not empty, and creates one that does not exist', async () => {
  const t = await engineWithFiles();
  const scratch = tempDir('railbook-scratch-');
  try {
    await writeRun(t.engine, scratch.dir, 1);
    const archive = path.join(scratch.dir, 'b.tar.gz');
    await createBackup(t.dataDir, archive);
    const busy = path.join(scratch.dir, 'busy');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'notes.txt'), 'mine');
    await assert.rejects(restoreBackup(archive, busy), /busy is not empty \(notes\.txt\)/);
    assert.deepEqual(readdirSync(busy), ['notes.txt']);
    const fresh = path.join(scratch.dir, 'new', 'data');
    const report = await restoreBackup(archive, fresh);
    assert.equal(report.runs, 1);
    assert.equal(report.artifactFiles, 1);
    assert.deepEqual(readdirSync(fresh).sort(), ['artifacts', 'railbook.db']);
  } finally {
    await t.close();
    scratch.cleanup();
  }
});

test('a tampered archive is refused, naming the file, and leaves the folder empty', async () => {
  const t = await engineWithFiles();
  const scratch = tempDir('railbook-scratch-');
  try {
    const key = await writeRun(t.engine, scratch.dir, 1);
    const archive = path.join(scratch.dir, 'b.tar.gz');
    const manifest = await createBackup(t.dataDir, archive);
    const artifact = manifest.files.find((f) => f.path.startsWith(`artifacts/${key}/`))!.path;

    const flipped = path.join(scratch.dir, 'flipped.tar.gz');
    await repack(archive, flipped, (dir) => {
      const bytes = readFileSync(path.join(dir, artifact));
      bytes[10] = bytes[10]! ^ 0xff;
      writeFileSync(path.join(dir, artifact), bytes);
    });
    const into = path.join(scratch.dir, 'r1');
    await assert.rejects(restoreBackup(flipped, into), (e: Error) => e.message.includes(`${artifact}: checksum mismatch`));
    assert.deepEqual(readdirSync(into), [], 'nothing extracted is left behind');

    const edited = path.join(scratch.dir, 'edited.tar.gz');
    await repack(archive, edited, (dir) => {
      const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
      m.counts.runs = 5;
      writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    });
    await assert.rejects(restoreBackup(edited, path.join(scratch.dir, 'r2')), /railbook\.db: 1 runs, the manifest says 5/);

    const notGzip = path.join(scratch.dir, 'junk.tar.gz');
    writeFileSync(notGzip, 'not an archive at all');
    await assert.rejects(restoreBackup(notGzip, path.join(scratch.dir, 'r3')), /junk\.tar\.gz is not a readable Railbook backup/);
  } finally {
    await t.close();
    scratch.cleanup();
  }
});

test('an archive with ../ paths or links is refused and writes nothing outside', async () => {
  const scratch = tempDir('railbook-scratch-');
  try {
    const src = path.join(scratch.dir, 'src', 'inner');
    mkdirSync(src, { recursive: true });
    writeFileSync(path.join(src, 'manifest.json'), '{}');
    writeFileSync(path.join(scratch.dir, 'src', 'evil.txt'), 'gotcha');
    const escaping = path.join(scratch.dir, 'escape.tar.gz');
    await createTar({ gzip: true, file: escaping, cwd: src, preservePaths: true }, ['manifest.json', '../evil.txt']);
    const into = path.join(scratch.dir, 'a', 'b', 'data');
    await assert.rejects(restoreBackup(escaping, into), /"\.\.\/evil\.txt": path leaves the data folder/);
    assert.ok(!existsSync(path.join(scratch.dir, 'a', 'b', 'evil.txt')));
    assert.ok(!existsSync(path.join(into, '..', 'evil.txt')));
    assert.deepEqual(readdirSync(into), []);

    mkdirSync(path.join(src, 'artifacts'));
    symlinkSync('/etc/passwd', path.join(src, 'artifacts', 'link'));
    const linked = path.join(scratch.dir, 'link.tar.gz');
    await createTar({ gzip: true, file: linked, cwd: src }, ['manifest.json', 'artifacts/link']);
    await assert.rejects(restoreBackup(linked, path.join(scratch.dir, 'l')), /"artifacts\/link": SymbolicLink entries are not allowed/);
  } finally {
    scratch.cleanup();
  }
});

test('railbook backup and railbook restore end to end', async () => {
  const t = await engineWithFiles();
  const scratch = tempDir('railbook-scratch-');
  try {
    await writeRun(t.engine, scratch.dir, 1);
    await writeRun(t.engine, scratch.dir, 2);
    const def = await railbook(['backup', '--data-dir', t.dataDir]);
    assert.equal(def.code, 0, def.stderr);
    assert.match(def.stdout, /backups\/railbook-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z\.tar\.gz\n/);
    assert.match(def.stdout, /backed up 2 runs, \d+ events, 2 artifact files \(.+\); archive .+\n$/);
    assert.equal(readdirSync(path.join(t.dataDir, 'backups')).length, 1, 'no temp file left beside it');

    const to = path.join(scratch.dir, 'cli.tar.gz');
    assert.equal((await railbook(['backup', '--data-dir', t.dataDir, '--to', to])).code, 0);
    const into = path.join(scratch.dir, 'restored');
    const ok = await railbook(['restore', to, '--data-dir', into]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^restored 2 runs, \d+ events, 2 artifact files .* all checks passed\n$/);

    const again = await railbook(['restore', to, '--data-dir', into]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /railbook: the data folder .*restored is not empty/);
    const missing = await railbook(['restore', path.join(scratch.dir, 'nope.tar.gz'), '--data-dir', path.join(scratch.dir, 'x')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no backup file at .*nope\.tar\.gz/);
    const noDb = await railbook(['backup', '--data-dir', path.join(scratch.dir, 'empty')]);
    assert.equal(noDb.code, 2);
    assert.match(noDb.stderr, /no Railbook database in/);
    assert.equal((await railbook(['restore'])).code, 2, 'a missing argument is bad usage');

    for (const cmd of ['backup', 'restore']) {
      const help = await railbook([cmd, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Examples:\n {2}railbook /);
    }
  } finally {
    await t.close();
    scratch.cleanup();
  }
});

test('automatic backups keep exactly the newest N and delete nothing they did not make', async () => {
  const t = await engineWithFiles();
  const scratch = tempDir('railbook-scratch-');
  try {
    await writeRun(t.engine, scratch.dir, 1);
    const dir = path.join(t.dataDir, 'backups');
    mkdirSync(dir, { recursive: true });
    const manual = path.basename(defaultBackupPath(t.dataDir, new Date('2020-01-01T00:00:00Z')));
    writeFileSync(path.join(dir, manual), 'a backup made by hand');
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');

    const auto = startAutoBackup({ dataDir: t.dataDir, keep: 2, enabled: false });
    const made: string[] = [];
    for (let i = 0; i < 4; i++) made.push((await auto.runNow()).file);
    auto.stop();
    assert.deepEqual((await listAutoBackups(dir)).map((n) => path.join(dir, n)), made.slice(2));
    assert.ok(existsSync(path.join(dir, manual)) && existsSync(path.join(dir, 'notes.txt')));
    const restored = await restoreBackup(made[3]!, path.join(scratch.dir, 'r'));
    assert.equal(restored.runs, 1);

    // Enabled, with no recent automatic backup in another folder: one is made at start.
    const t2 = await engineWithFiles();
    try {
      await writeRun(t2.engine, scratch.dir, 2);
      const first = new Promise<string>((resolve, reject) => {
        const s = startAutoBackup({ dataDir: t2.dataDir, onBackup: (file) => { s.stop(); resolve(file); }, onError: reject });
      });
      assert.match(path.basename(await first), /^railbook-auto-.*\.tar\.gz$/);
    } finally {
      await t2.close();
    }
  } finally {
    await t.close();
    scratch.cleanup();
  }
});

test('backup settings: --backup-keep, RAILBOOK_BACKUP_KEEP, --no-auto-backup, RAILBOOK_AUTO_BACKUP=off', async () => {
  assert.equal(parseBackupKeep(undefined), undefined);
  assert.equal(parseBackupKeep('30'), 30);
  assert.throws(() => parseBackupKeep('0'), /at least 1/);
  assert.throws(() => parseBackupKeep('two'), /at least 1/);
  assert.deepEqual(await backupSettings({ autoBackup: true }, {}), { keep: undefined, enabled: true });
  assert.deepEqual(await backupSettings({ autoBackup: true }, { RAILBOOK_BACKUP_KEEP: '3' }), { keep: 3, enabled: true });
  assert.deepEqual(await backupSettings({ backupKeep: '5', autoBackup: true }, { RAILBOOK_BACKUP_KEEP: '3' }), { keep: 5, enabled: true });
  assert.deepEqual(await backupSettings({ autoBackup: false }, {}), { keep: undefined, enabled: false });
  assert.deepEqual(await backupSettings({ autoBackup: true }, { RAILBOOK_AUTO_BACKUP: 'off' }), { keep: undefined, enabled: false });
  await assert.rejects(backupSettings({ backupKeep: '-1', autoBackup: true }, {}), /--backup-keep/);
});

test('a run deleted between the database copy and the artifacts copy is left out; a file already missing is reported', async () => {
  const t = await engineWithFiles();
  const scratch = tempDir('railbook-scratch-');
  try {
    const kept = await writeRun(t.engine, scratch.dir, 1);
    const doomed = await writeRun(t.engine, scratch.dir, 2);
    const archive = path.join(scratch.dir, 'b.tar.gz');
    const manifest = await createBackup(t.dataDir, archive, { onSnapshot: async () => { await t.engine.deleteRun(doomed); } });
    assert.deepEqual(manifest.missingArtifacts.map((m) => [m.run, m.reason]), [[doomed, 'run-deleted']]);
    assert.equal(manifest.counts.runs, 1);
    const r = await restoreBackup(archive, path.join(scratch.dir, 'r1'));
    assert.deepEqual(r.warnings, []);
    const restored = await Store.open(path.join(scratch.dir, 'r1'));
    try {
      assert.deepEqual((await restored.runs.list({ archived: 'all' })).map((s) => s.key), [kept]);
      assert.deepEqual(await restored.events.forRun(doomed), []);
    } finally {
      await restored.close();
    }

    // A file gone from the data folder by hand: backed up without it, and restore says so.
    const ref = refsIn(await t.engine.get(kept))[0]!;
    rmSync(path.join(t.dataDir, ref.path));
    const damaged = path.join(scratch.dir, 'd.tar.gz');
    const m2 = await createBackup(t.dataDir, damaged);
    assert.deepEqual(m2.missingArtifacts, [{ path: ref.path, run: kept, reason: 'absent' }]);
    const r2 = await restoreBackup(damaged, path.join(scratch.dir, 'r2'));
    assert.equal(r2.warnings.length, 1);
    assert.match(r2.warnings[0]!, new RegExp(`${ref.path.replace(/[.]/g, '\\.')}: referenced by run ${kept}, but already missing`));

    // The same archive with the "absent" note removed from its manifest is refused.
    const forged = path.join(scratch.dir, 'f.tar.gz');
    await repack(damaged, forged, (dir) => {
      const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
      m.missingArtifacts = [];
      writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    });
    await assert.rejects(restoreBackup(forged, path.join(scratch.dir, 'r3')), (e: Error) => e.message.includes(`${ref.path}: referenced by run ${kept} but not in the archive`));
  } finally {
    await t.close();
    scratch.cleanup();
  }
});
