// `railbook kernels` as a person or a script runs it (a real `node bin/railbook.js` process, the
// real kernelspec folders of the machine plus the JUPYTER_PATH fixture), and the words used when a
// notebook's kernel is missing.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installHint, missingKernelMessage, noKernelsMessage } from '../../src/notebooks/kernel/missing-kernel.ts';
import { railbookCli, type CliResult } from '../helpers/railbook-cli.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE_PATH = path.join(ROOT, 'test', 'fixtures', 'kernels', 'jupyter-path');
const SYSTEM_KERNELS = '/usr/share/jupyter/kernels';

/** An empty home, so the machine's own user kernelspecs do not leak into what is listed. */
const home = mkdtempSync(path.join(tmpdir(), 'railbook-kernels-home-'));
after(() => rmSync(home, { recursive: true, force: true }));


function railbook(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  // Every variable that moves Jupyter's search path, unless the test sets it.
  return railbookCli(args, { env: { HOME: home, ...extra }, unset: ['JUPYTER_PATH', 'JUPYTER_DATA_DIR', 'XDG_DATA_HOME', 'VIRTUAL_ENV', 'CONDA_PREFIX'] });
}

/** The table's rows as NAME → the rest of the line, so a row can be checked without column widths. */
function tableRows(stdout: string): Map<string, string> {
  const [header, ...lines] = stdout.trimEnd().split('\n');
  assert.match(header ?? '', /^NAME\s+LANGUAGE\s+DISPLAY NAME\s+FOLDER$/);
  return new Map(lines.map((l) => {
    const [name, ...rest] = l.split(/\s{2,}/);
    return [name!, rest.join(' | ')];
  }));
}

interface JsonKernel {
  name: string;
  language: string;
  displayName: string;
  folder: string;
  argv: string[];
  interruptMode: string;
}

describe('railbook kernels', () => {
  test('lists the JUPYTER_PATH kernels before the system ones, and reports the broken one on stderr', async () => {
    const r = await railbook(['kernels'], { JUPYTER_PATH: FIXTURE_PATH });
    assert.equal(r.code, 0, r.stderr);
    const rows = tableRows(r.stdout);
    assert.equal(
      rows.get('python3'),
      `python | Python 3 (from JUPYTER_PATH fixture) | ${path.join(FIXTURE_PATH, 'kernels', 'python3')}`,
      'the JUPYTER_PATH kernelspec overrides the system python3',
    );
    assert.equal(rows.get('python3-message'), `python | Python 3 (interrupted by message) | ${path.join(FIXTURE_PATH, 'kernels', 'python3-message')}`);
    assert.match(rows.get('xpython') ?? '', new RegExp(`\\| ${SYSTEM_KERNELS}/xpython$`), 'system kernels not overridden are listed with their folder');
    assert.ok(!rows.has('not-a-kernel'), 'a folder without kernel.json is not a kernel');
    assert.ok(!rows.has('broken'), 'the broken kernelspec is not listed as usable');
    assert.match(r.stderr, /warning: kernel not usable: .*broken\/kernel\.json is not valid JSON/);
    assert.equal(r.stderr.trim().split('\n').length, 1, `only the broken kernelspec is reported:\n${r.stderr}`);
  });

  test('without JUPYTER_PATH, the system python3 (ipykernel) is found in /usr/share/jupyter', async () => {
    const r = await railbook(['kernels']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no broken kernelspecs on the system');
    assert.equal(tableRows(r.stdout).get('python3'), `python | Python 3 (ipykernel) | ${SYSTEM_KERNELS}/python3`);
  });

  test('--json prints every usable kernel with its command line, for scripts', async () => {
    const r = await railbook(['kernels', '--json'], { JUPYTER_PATH: FIXTURE_PATH });
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as JsonKernel[];
    const message = list.find((k) => k.name === 'python3-message');
    assert.deepEqual(message, {
      name: 'python3-message',
      language: 'python',
      displayName: 'Python 3 (interrupted by message)',
      folder: path.join(FIXTURE_PATH, 'kernels', 'python3-message'),
      argv: ['/usr/bin/python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      interruptMode: 'message',
    });
    assert.equal(list.filter((k) => k.name === 'python3').length, 1, 'one entry per name');
    assert.ok(list.some((k) => k.folder.startsWith(SYSTEM_KERNELS + '/')), 'system kernels are in the JSON too');
    assert.match(r.stderr, /broken\/kernel\.json is not valid JSON/, 'problems stay on stderr, so stdout is pure JSON');
  });

  test('takes --data-dir like every command, and leaves the data folder alone', async () => {
    const dataDir = path.join(home, 'data-not-made');
    const r = await railbook(['kernels', '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(tableRows(r.stdout).has('python3'));
    assert.ok(!existsSync(dataDir), 'listing kernels creates no data folder');
  });

  test('--help explains where kernels are found and how to install one', async () => {
    const r = await railbook(['kernels', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /JUPYTER_PATH/);
    assert.match(r.stdout, /railbook kernels --json/);
    assert.match(r.stdout, /apt-get install python3-ipykernel/);
  });
});

describe('the missing-kernel message', () => {
  const searched = ['/home/me/.local/share/jupyter/kernels', '/usr/share/jupyter/kernels'];

  test('names the kernel and every folder searched, and how to install a Python kernel', () => {
    const m = missingKernelMessage('python3', 'python', searched);
    assert.match(m, /kernel "python3" \(python\) is not installed/);
    assert.match(m, /searched \/home\/me\/\.local\/share\/jupyter\/kernels, \/usr\/share\/jupyter\/kernels/);
    assert.match(m, /apt-get install python3-ipykernel/);
    assert.match(m, /pip install ipykernel && python -m ipykernel install --user`/, 'python3 is ipykernel\'s own name: no --name needed');
    assert.match(m, /railbook kernels/);
    assert.equal(m.split('\n').length, 1, 'one line');
    assert.ok(m.endsWith('.'));
  });

  test('a Python kernel under its own name is installed under that name', () => {
    assert.match(missingKernelMessage('myenv', 'python', searched), /python -m ipykernel install --user --name myenv`/);
  });

  test('R points at IRkernel, Julia at IJulia, with the language guessed from the name when the notebook gives none', () => {
    const r = missingKernelMessage('ir', undefined, searched);
    assert.match(r, /kernel "ir" \(r\)/);
    assert.match(r, /apt-get install r-cran-irkernel/);
    assert.match(r, /IRkernel::installspec\(\)/);
    assert.match(missingKernelMessage('julia-1.10', '', searched), /Pkg\.add\("IJulia"\)/);
    assert.match(missingKernelMessage('my-r', 'R', searched), /IRkernel::installspec\(name = 'my-r'\)/);
  });

  test('another language gets a general pointer; a name unsafe for a shell is never put into a command', () => {
    const m = missingKernelMessage('deno', 'typescript', searched);
    assert.match(m, /kernel "deno" \(typescript\)/);
    assert.match(m, /a Jupyter kernel for typescript/);
    assert.match(m, /jupyter\/jupyter\/wiki\/Jupyter-kernels/);
    const odd = missingKernelMessage('x; rm -rf ~', 'python', searched);
    assert.match(odd, /kernel "x; rm -rf ~"/);
    assert.doesNotMatch(odd, /--name/);
  });

  test('with no kernels at all, it says so, where it looked and how to install Python\'s', () => {
    const m = noKernelsMessage(searched);
    assert.match(m, /^No Jupyter kernels are installed \(searched \/home\/me\/\.local\/share\/jupyter\/kernels, \/usr\/share\/jupyter\/kernels\)/);
    assert.match(m, /apt-get install python3-ipykernel/);
    assert.equal(installHint('python'), installHint('python', 'python3'));
  });
});
