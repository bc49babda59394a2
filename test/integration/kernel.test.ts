// The Jupyter kernel layer against real kernels: Debian's ipykernel (the `python3` kernelspec,
// under /usr/bin/python3) and xeus-python (`xpython`), a second, independent implementation, so
// the protocol code is proven not to lean on one kernel's quirks. Installed by .ci/run.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  findKernelspec,
  findKernelspecs,
  jupyterDataDirs,
  Kernel,
  KernelDiedError,
  KernelError,
  type Kernelspec,
  type KernelOutput,
} from '../../src/notebooks/kernel/index.ts';
import { BadSignatureError, MessageCodec } from '../../src/notebooks/kernel/wire.ts';

const FIXTURE_PATH = fileURLToPath(new URL('../fixtures/kernels/jupyter-path', import.meta.url));
/** A 1×1 PNG, so image output needs no plotting library in the kernel. */
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const home = mkdtempSync(path.join(tmpdir(), 'railbook-kernel-home-'));
const workDir = mkdtempSync(path.join(tmpdir(), 'railbook-kernel-cwd-'));
/** No user-level kernelspecs of the machine's own leak into the tests. */
const cleanEnv = { HOME: home };
const fixtureEnv = { HOME: home, JUPYTER_PATH: FIXTURE_PATH };

after(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

function spec(name: string, env: Record<string, string> = cleanEnv): Kernelspec {
  const found = findKernelspec(name, env);
  assert.ok(found, `kernelspec ${name} is installed (run .ci/run or apt-get install the kernels)`);
  return found;
}

/** Runs code and collects its outputs. */
async function run(kernel: Kernel, code: string) {
  const outputs: KernelOutput[] = [];
  const result = await kernel.execute(code, { onOutput: (o) => outputs.push(o) });
  return { result, outputs };
}

function stdout(outputs: KernelOutput[]): string {
  return outputs.map((o) => (o.output_type === 'stream' && o.name === 'stdout' ? o.text : '')).join('');
}

/** Whether a pid still names a live process (a zombie awaiting its reaper counts as gone). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('kernelspec discovery', () => {
  test('finds the installed kernels in the system data dirs', () => {
    const { specs } = findKernelspecs(cleanEnv);
    const python3 = specs.find((s) => s.name === 'python3');
    const xpython = specs.find((s) => s.name === 'xpython');
    assert.ok(python3 && xpython, `python3 and xpython found among ${specs.map((s) => s.name).join(', ')}`);
    assert.equal(python3.argv[0], '/usr/bin/python3');
    assert.equal(python3.language, 'python');
    assert.equal(python3.interruptMode, 'signal');
    assert.match(python3.resourceDir, /share\/jupyter\/kernels\/python3$/);
    assert.ok(xpython.argv.includes('{connection_file}'));
  });

  test('searches JUPYTER_PATH, then the user data dir, then the system dirs; earlier wins', () => {
    const userKernels = path.join(home, '.local', 'share', 'jupyter', 'kernels', 'xpython');
    mkdirSync(userKernels, { recursive: true });
    writeFileSync(
      path.join(userKernels, 'kernel.json'),
      JSON.stringify({ argv: ['/usr/bin/xpython', '-f', '{connection_file}'], display_name: 'My own xpython', language: 'python' }),
    );
    try {
      const dirs = jupyterDataDirs(fixtureEnv);
      assert.equal(dirs[0], FIXTURE_PATH);
      assert.equal(dirs[1], path.join(home, '.local', 'share', 'jupyter'));
      assert.deepEqual(dirs.slice(-2), ['/usr/local/share/jupyter', '/usr/share/jupyter']);

      const { specs, problems } = findKernelspecs(fixtureEnv);
      const byName = new Map(specs.map((s) => [s.name, s]));
      assert.equal(byName.get('python3')?.displayName, 'Python 3 (from JUPYTER_PATH fixture)');
      assert.equal(byName.get('python3')?.language, 'python', 'language is lower-cased');
      assert.deepEqual(byName.get('python3')?.env, { RAILBOOK_FIXTURE: 'from-kernelspec' });
      assert.equal(byName.get('xpython')?.displayName, 'My own xpython', 'the user dir beats the system dir');
      assert.ok(byName.get('xpython-raw'), 'system kernels not overridden are still listed');
      assert.equal(byName.get('python3-message')?.interruptMode, 'message');
      assert.ok(!byName.has('not-a-kernel'), 'a folder without kernel.json is skipped');
      assert.equal(specs.filter((s) => s.name === 'python3').length, 1, 'one entry per name');
      assert.equal(problems.length, 1);
      assert.match(problems[0]!.problem, /broken\/kernel\.json is not valid JSON/);
    } finally {
      rmSync(path.join(home, '.local'), { recursive: true, force: true });
    }
  });
});

describe('wire protocol signatures', () => {
  test('a message signed with the key round-trips; a wrong key, tampering or no signature is rejected', () => {
    const codec = new MessageCodec('secret-key');
    const msg = codec.create('execute_request', { code: '1+1' });
    const frames = codec.encode(msg);
    assert.equal(frames[0]!.toString(), '<IDS|MSG>');
    assert.equal(JSON.parse(frames[2]!.toString()).version, '5.3');
    assert.deepEqual(codec.decode([Buffer.from('routing-id'), ...frames]).content, { code: '1+1' });

    assert.throws(() => new MessageCodec('another-key').decode(frames), BadSignatureError);
    const tampered = [...frames];
    tampered[5] = Buffer.from(JSON.stringify({ code: 'import os; os.system("rm -rf ~")' }));
    assert.throws(() => codec.decode(tampered), BadSignatureError);
    const unsigned = [...frames];
    unsigned[1] = Buffer.alloc(0);
    assert.throws(() => codec.decode(unsigned), /unsigned/);
  });
});

describe('starting fails clearly', () => {
  test('a kernel that exits at once: the error names it and quotes its stderr', async () => {
    await assert.rejects(Kernel.start(spec('dies-at-start', fixtureEnv), { cwd: workDir }), (err: Error) => {
      assert.ok(err instanceof KernelError);
      assert.match(err.message, /kernel "dies-at-start" .* exited while starting \(exit code 3\)/);
      assert.match(err.message, /boom: this kernel cannot start/);
      return true;
    });
  });

  test('a kernel that never answers: timeout error with its output, and the process is killed', async () => {
    const states: string[] = [];
    await assert.rejects(
      Kernel.start(spec('never-answers', fixtureEnv), { cwd: workDir, startTimeoutMs: 1500, onStateChange: (s) => states.push(s) }),
      /kernel "never-answers" .* did not answer within 2 s\.[\s\S]*sleeping instead of answering/,
    );
    assert.deepEqual(states, ['shutdown']);
  });
});

for (const name of ['python3', 'xpython']) {
  describe(`kernel ${name}`, () => {
    let kernel: Kernel;
    const warnings: string[] = [];

    before(async () => {
      kernel = await Kernel.start(spec(name), { cwd: workDir, onWarning: (w) => warnings.push(w) });
    });

    after(async () => {
      await kernel?.shutdown();
    });

    test('runs code: stdout stream and the value, in order', async () => {
      assert.equal(kernel.state, 'idle');
      const { result, outputs } = await run(kernel, "x = 21; print('hi'); x * 2");
      assert.equal(result.status, 'ok');
      assert.equal(typeof result.executionCount, 'number');
      // ipykernel sends "hi\n" at once, xeus-python "hi" then "\n": only the joined text is the contract.
      assert.equal(stdout(outputs), 'hi\n');
      const last = outputs.at(-1);
      assert.equal(last?.output_type, 'execute_result');
      assert.equal(last.output_type === 'execute_result' && last.data['text/plain'], '42');
      assert.deepEqual(warnings, []);
    });

    test('runs in the working directory it was given', async () => {
      const { outputs } = await run(kernel, 'import os; print(os.getcwd())');
      assert.equal(stdout(outputs).trim(), workDir);
    });

    test('an exception: status error, and an error output with its traceback', async () => {
      const { result, outputs } = await run(kernel, 'def f():\n    return 1 / 0\nf()');
      assert.equal(result.status, 'error');
      assert.match(result.error!.ename, /ZeroDivisionError/);
      const error = outputs.find((o) => o.output_type === 'error');
      assert.ok(error && error.output_type === 'error');
      assert.match(error.evalue, /division by zero/);
      assert.ok(error.traceback.length > 1);
      assert.match(error.traceback.join('\n'), /ZeroDivisionError/);
      // The kernel goes on after an error, even with the next cell sent at once.
      assert.equal((await run(kernel, 'x')).result.status, 'ok');
    });

    test('display_data with text/html and image/png', async () => {
      const { outputs } = await run(
        kernel,
        `import base64\nfrom IPython.display import display, HTML, Image\ndisplay(HTML('<b>bold</b>'))\ndisplay(Image(data=base64.b64decode('${PNG_1PX}'), format='png'))`,
      );
      const displays = outputs.filter((o) => o.output_type === 'display_data');
      assert.equal(displays.length, 2);
      assert.equal(displays[0]!.output_type === 'display_data' && displays[0]!.data['text/html'], '<b>bold</b>');
      // Base64 as the kernel wrapped it (ipykernel ends it with a newline).
      const png = displays[1]!.output_type === 'display_data' ? String(displays[1]!.data['image/png']) : '';
      assert.equal(png.replace(/\s/g, ''), PNG_1PX);
    });

    test('update_display_data finds its output by display id', async () => {
      const { outputs } = await run(
        kernel,
        "from IPython.display import display, HTML\nh = display(HTML('<i>one</i>'), display_id=True)\nh.update(HTML('<i>two</i>'))",
      );
      const [shown, updated] = outputs;
      assert.ok(shown?.output_type === 'display_data' && shown.display_id, 'the display carries its id');
      assert.ok(updated?.output_type === 'update_display_data');
      assert.equal(updated.display_id, shown.display_id);
      assert.equal(updated.data['text/html'], '<i>two</i>');
    });

    test('clear_output arrives between the outputs it separates', async () => {
      const { outputs } = await run(kernel, "from IPython.display import clear_output\nprint('before')\nclear_output(wait=True)\nprint('after')");
      const at = outputs.findIndex((o) => o.output_type === 'clear_output');
      assert.ok(at > 0);
      assert.deepEqual(outputs[at], { output_type: 'clear_output', wait: true });
      assert.equal(stdout(outputs.slice(0, at)), 'before\n');
      assert.equal(stdout(outputs.slice(at + 1)), 'after\n');
    });

    test('output streams while the cell runs, one message per print', async () => {
      const seen: { text: string; busy: boolean; settled: boolean }[] = [];
      let settled = false;
      const done = kernel.execute("import time\nfor i in range(4):\n    print(f'line {i}', flush=True)\n    time.sleep(0.2)", {
        onOutput: (o) => {
          if (o.output_type === 'stream') seen.push({ text: o.text, busy: kernel.state === 'busy', settled });
        },
      });
      const result = await done;
      settled = true;
      assert.equal(result.status, 'ok');
      assert.equal(seen.map((s) => s.text).join(''), 'line 0\nline 1\nline 2\nline 3\n');
      assert.ok(seen.filter((s) => s.text.startsWith('line')).length === 4, 'each line is its own message');
      assert.ok(seen.every((s) => s.busy && !s.settled), 'every line arrived while the kernel was still busy');
    });

    test('input() fails at once with a clear error instead of waiting for a reply', { timeout: 10_000 }, async () => {
      const { result, outputs } = await run(kernel, "name = input('Your name? ')");
      assert.equal(result.status, 'error');
      const error = outputs.find((o) => o.output_type === 'error');
      assert.ok(error?.output_type === 'error');
      assert.match(`${error.ename}: ${error.evalue}`, /does not support input requests/);
    });

    test('heartbeat: alive, even while a cell is busy', async () => {
      assert.equal(await kernel.isAlive(), true);
      const busy = kernel.execute('import time; time.sleep(0.5)');
      assert.equal(await kernel.isAlive(), true);
      assert.equal((await busy).status, 'ok');
    });

    test('Stop on a runaway loop: the cell ends and the kernel goes on', { timeout: 20_000 }, async () => {
      await run(kernel, 'x = 21');
      const outputs: KernelOutput[] = [];
      const looping = kernel.execute("print('looping', flush=True)\nwhile True: pass", { onOutput: (o) => outputs.push(o) });
      // Wait for the loop to be running (its first print), not for a fixed time.
      while (!outputs.some((o) => o.output_type === 'stream')) await new Promise((r) => setTimeout(r, 20));
      const how = await kernel.stop();
      if (name === 'python3') {
        // ipykernel turns SIGINT into KeyboardInterrupt; the variables survive.
        assert.equal(how, 'interrupted');
        const result = await looping;
        assert.equal(result.status, 'error');
        assert.equal(result.error?.ename, 'KeyboardInterrupt');
        assert.ok(outputs.some((o) => o.output_type === 'error' && o.ename === 'KeyboardInterrupt'));
        assert.equal(stdout((await run(kernel, 'print(x)')).outputs), '21\n');
      } else {
        // xeus-python exits on SIGINT (jupyter-xeus/xeus#272): Stop restarts it, and says so.
        assert.equal(how, 'restarted');
        await assert.rejects(looping, /the kernel exited when interrupted/);
        const { result, outputs: after } = await run(kernel, 'print(1 + 1)');
        assert.equal(result.status, 'ok');
        assert.equal(stdout(after), '2\n');
      }
      assert.equal(kernel.state, 'idle');
    });

    test('restart: a new process with no variables', async () => {
      await run(kernel, 'y = 5');
      const before = kernel.pid!;
      await kernel.restart();
      assert.notEqual(kernel.pid, before);
      assert.equal(processAlive(before), false);
      const { result } = await run(kernel, 'y');
      assert.equal(result.status, 'error');
      assert.match(result.error!.ename, /NameError/);
    });

    test('kill -9 mid-cell: the execute rejects with "the kernel died", and a restart recovers', { timeout: 20_000 }, async () => {
      const outputs: KernelOutput[] = [];
      const sleeping = kernel.execute("import time\nprint('sleeping', flush=True)\ntime.sleep(60)", { onOutput: (o) => outputs.push(o) });
      while (!outputs.length) await new Promise((r) => setTimeout(r, 20));
      process.kill(kernel.pid!, 'SIGKILL');
      await assert.rejects(sleeping, (err: Error) => {
        assert.ok(err instanceof KernelDiedError);
        assert.match(err.message, /^the kernel died \(.*killed by SIGKILL\)/);
        return true;
      });
      assert.equal(kernel.state, 'dead');
      assert.equal(await kernel.isAlive(), false);
      await assert.rejects(kernel.execute('1'), /the kernel died/);
      await kernel.restart();
      assert.equal((await run(kernel, '1')).result.status, 'ok');
    });

    test('shutdown leaves no process, not even one the cell started', async () => {
      const { outputs } = await run(kernel, "import subprocess\np = subprocess.Popen(['sleep', '300'])\nprint(p.pid)");
      const child = Number(stdout(outputs));
      const pid = kernel.pid!;
      assert.ok(processAlive(child));
      await kernel.shutdown();
      assert.equal(kernel.state, 'shutdown');
      assert.equal(processAlive(pid), false);
      assert.equal(processAlive(child), false);
      await assert.rejects(kernel.execute('1'), /was shut down; start a new one/);
    });
  });
}

describe('kernelspec details honoured', () => {
  test('interrupt_mode "message" interrupts over the control channel; the kernelspec env is set', { timeout: 20_000 }, async () => {
    const kernel = await Kernel.start(spec('python3-message', fixtureEnv), { cwd: workDir });
    try {
      const outputs: KernelOutput[] = [];
      const looping = kernel.execute("print('looping', flush=True)\nwhile True: pass", { onOutput: (o) => outputs.push(o) });
      while (!outputs.length) await new Promise((r) => setTimeout(r, 20));
      await kernel.interrupt();
      assert.equal((await looping).error?.ename, 'KeyboardInterrupt');
    } finally {
      await kernel.shutdown();
    }
    const withEnv = await Kernel.start(spec('python3', fixtureEnv), { cwd: workDir });
    try {
      const { outputs } = await run(withEnv, "import os; print(os.environ['RAILBOOK_FIXTURE'])");
      assert.equal(stdout(outputs), 'from-kernelspec\n');
    } finally {
      await withEnv.shutdown();
    }
  });
});
