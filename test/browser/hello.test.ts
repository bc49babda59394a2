// The hello workflow in real Chromium: clicking and typing, keyboard only, revert and forward,
// resuming from the key list, back/refresh, profiles, and no console errors or CSP violations.
// The main flow runs on both stores, so the whole stack is seen working on PostgreSQL too; the
// rest test the pages, not the store, and stay on SQLite.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { forEachBackend } from '../helpers/backends.ts';
import { useBrowserApp } from './helpers.ts';

forEachBackend((backend) =>
  describe(`browser: hello, a whole run (${backend})`, () => {
    const t = useBrowserApp({ backend });

    test('a whole run by clicking and typing: name, suggested greeting, finalize, unfinalize', () =>
      t.withPage(async (page) => {
        await page.goto(t.app.base + '/');
        await page.getByRole('link', { name: 'Hello', exact: true }).first().click();
        await page.waitForURL(/\/wf\/hello$/);
        assert.equal(await page.locator('#next-key').innerText(), 'default-hello-01', '"+ New run" names the key it takes');
        assert.equal(await page.inputValue('#run-key'), '', 'the key box is for opening a run, and starts empty');
        await page.getByRole('button', { name: '+ New run' }).click();
        await page.waitForURL(/\/wf\/hello\/runs\/default-hello-01$/);

        await page.getByLabel('Your name', { exact: true }).fill('Ada Lovelace');
        await page.locator('#step-name').getByRole('button', { name: 'Continue' }).click();
        const greeting = page.getByLabel('Greeting', { exact: true });
        await greeting.waitFor();
        assert.equal(await greeting.inputValue(), 'Hello, Ada Lovelace!', 'the greeting is suggested from the name');
        assert.match(await page.locator('#step-name').innerText(), /Your name is Ada Lovelace/);
        assert.equal(await page.locator('#step-name').count(), 1, 'no duplicate cards');
        // The history pane refreshed itself after the change, and says in words what happened.
        const entry = page.locator('#history li.event-submitted').first();
        await entry.waitFor();
        assert.match(await entry.innerText(), /Done[\s\S]*1\. Your name[\s\S]*Your name: Ada Lovelace/);

        await greeting.fill('Good morning, Ada!');
        await page.locator('#step-greeting').getByRole('button', { name: 'Run' }).click();
        await page.locator('#run-finish').waitFor();
        assert.match(await page.locator('#step-greeting').innerText(), /Good morning, Ada!/);

        await page.getByRole('button', { name: 'Finalize' }).click();
        await page.getByRole('button', { name: 'Unfinalize' }).waitFor();
        assert.equal(await page.locator('form.step-form').count(), 0, 'a finalized run shows no forms');
        assert.equal(await page.getByRole('button', { name: /Revert/ }).count(), 0, 'and no revert buttons');
        await page.locator('#history li.event-finalized').waitFor();
        assert.ok((await t.app.engine.get('default-hello-01')).finalized);

        await page.getByRole('button', { name: 'Unfinalize' }).click();
        // Exact: by default the name matches as a substring, and "Unfinalize" would answer at once.
        await page.getByRole('button', { name: 'Finalize', exact: true }).waitFor();
        assert.equal((await t.app.engine.get('default-hello-01')).finalized, null);

        // Refresh and back return to the same run: the key is in the URL, not in the server's memory.
        await page.reload();
        assert.match(await page.locator('#step-greeting').innerText(), /Good morning, Ada!/);
        await page.goto(t.app.base + '/');
        await page.goBack();
        await page.waitForURL(/default-hello-01$/);
        await page.getByRole('button', { name: 'Finalize', exact: true }).waitFor();
      }));
  }),
);

describe('browser: hello', () => {
  const t = useBrowserApp();

  test('the whole flow works from the keyboard alone', () =>
    t.withPage(async (page) => {
      await page.goto(t.app.base + '/wf/hello');
      await page.focus('#run-key');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('keyboard-run');
      await page.keyboard.press('Enter'); // the form's button: Open
      // A key with no run yet is asked about first; the answer has the focus.
      await page.waitForURL(/\?create=keyboard-run$/);
      await page.waitForFunction(() => (document.activeElement as HTMLElement | null)?.innerText === 'Create keyboard-run');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/runs\/keyboard-run$/);

      await page.focus('#f-name-name');
      await page.keyboard.type('Grace');
      await page.keyboard.press('Enter');
      // The next form gets the focus, so typing goes on without reaching for the mouse.
      await page.waitForFunction(() => document.activeElement?.id === 'f-greeting-greeting');
      await page.keyboard.press('End');
      await page.keyboard.type(' Welcome.');
      await page.keyboard.press('Enter');
      await page.locator('#run-finish').waitFor();
      await page.waitForFunction(() => (document.activeElement as HTMLElement | null)?.innerText === 'Finalize');
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Unfinalize' }).waitFor();
      const done = (await t.app.engine.get('keyboard-run')).steps.greeting!.output as { greeting: string } | undefined;
      assert.equal(done?.greeting, 'Hello, Grace! Welcome.');

      // Every input has a label and every button has text.
      await page.goto(t.app.base + '/wf/hello/runs/keyboard-run');
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
          .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'))
          .map((el) => el.outerHTML),
      );
      assert.deepEqual(unlabelled, []);
      const textless = await page.evaluate(() =>
        [...document.querySelectorAll('button')].filter((b) => !(b.textContent ?? '').trim() && !b.getAttribute('aria-label')).map((b) => b.outerHTML),
      );
      assert.deepEqual(textless, []);
    }));

  test('revert to a step, then go forward again', () =>
    t.withPage(async (page) => {
      await page.goto(t.app.base + '/wf/hello');
      await page.fill('#run-key', 'revert-run');
      await page.getByRole('button', { name: 'Open' }).click();
      await page.getByRole('button', { name: 'Create revert-run' }).click();
      await page.getByLabel('Your name', { exact: true }).fill('Alan');
      await page.getByLabel('Your name', { exact: true }).press('Enter');
      await page.getByLabel('Greeting', { exact: true }).waitFor();
      await page.getByLabel('Greeting', { exact: true }).press('Enter');
      await page.locator('#run-finish').waitFor();

      await page.getByRole('button', { name: 'Revert to step 1: Your name' }).click();
      // Step 2's output would be cleared: the revert asks first (see revert-undo.test.ts).
      await page.getByRole('alertdialog', { name: 'Revert to step 1: Your name?' }).getByRole('button', { name: /^Revert and clear/ }).click();
      await page.waitForFunction(() => !document.querySelector('#step-greeting'));
      assert.equal(await page.getByLabel('Your name', { exact: true }).inputValue(), 'Alan', 'the reverted step keeps its input');
      assert.equal(await page.locator('#run-finish').count(), 0);
      assert.equal((await t.app.engine.get('revert-run')).steps.greeting!.status, 'pending');

      await page.getByLabel('Your name', { exact: true }).fill('Alan Turing');
      await page.getByLabel('Your name', { exact: true }).press('Enter');
      await page.getByLabel('Greeting', { exact: true }).waitFor();
      assert.equal(await page.getByLabel('Greeting', { exact: true }).inputValue(), 'Hello, Alan Turing!', 'suggested again from the new name');
      await page.getByLabel('Greeting', { exact: true }).press('Enter');
      await page.locator('#run-finish').waitFor();
      await page.locator('#history').getByText('Reverted to').waitFor();
    }));

  test('resume a run from the key list on the landing page', () =>
    t.withPage(async (page) => {
      const { state } = await t.app.engine.open('hello', { key: 'resume-me' });
      await (await t.app.engine.submit(state.key, 'name', { name: 'Linus' })).completion;

      await page.goto(t.app.base + '/wf/hello');
      const keys = await page.locator('datalist#run-keys option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
      assert.ok(keys.includes('resume-me'), 'existing keys are offered');
      await page.fill('#run-key', 'resume-me');
      await page.getByRole('button', { name: 'Open' }).click();
      await page.waitForURL(/\/runs\/resume-me$/);
      assert.match(await page.locator('#step-name').innerText(), /Your name is Linus/);
      assert.equal(await page.getByLabel('Greeting', { exact: true }).inputValue(), 'Hello, Linus!');

      // The recent-runs table links to it too, with its status.
      await page.goto(t.app.base + '/wf/hello');
      const row = page.locator('table.runs tr', { hasText: 'resume-me' });
      assert.match(await row.innerText(), /1 of 2 steps done/);
      await row.getByRole('link').click();
      await page.waitForURL(/\/runs\/resume-me$/);

      // A bad key is explained on the landing page.
      await page.goto(t.app.base + '/wf/hello');
      await page.fill('#run-key', 'bad key');
      await page.getByRole('button', { name: 'Open' }).click();
      assert.match(await page.locator('#run-key-error').innerText(), /may use only letters/);
    }, [422]));

  test('profiles: create, switch from the menu, rename; new keys follow the profile', () =>
    t.withPage(async (page) => {
      await page.goto(t.app.base + '/profiles');
      await page.getByLabel('Name of the new profile').fill('acme');
      await page.getByRole('button', { name: 'Create profile' }).click();
      await page.locator('summary', { hasText: 'Profile: acme' }).waitFor();
      await page.goto(t.app.base + '/wf/hello');
      assert.equal(await page.locator('#next-key').innerText(), 'acme-hello-01');

      await page.locator('summary', { hasText: 'Profile: acme' }).click();
      await page.getByRole('button', { name: 'Switch to default' }).click();
      await page.waitForURL(/\/wf\/hello$/);
      assert.match(await page.locator('#next-key').innerText(), /^default-hello-/);

      await page.goto(t.app.base + '/profiles');
      await page.selectOption('#rename-from', 'acme');
      await page.getByLabel('New name').fill('acme2');
      await page.getByRole('button', { name: 'Rename profile' }).click();
      await page.locator('summary', { hasText: 'Profile: default' }).waitFor();
      assert.deepEqual(await t.app.engine.store.profiles.list(), ['acme2', 'default']);

      await page.getByLabel('Name of the new profile').fill('has space');
      await page.getByRole('button', { name: 'Create profile' }).click();
      assert.match(await page.locator('.form-error').innerText(), /must be 1–40 letters/);
    }, [422]));

  test('every page loads with its styles and scripts, and without console errors or CSP violations', () =>
    t.withPage(async (page) => {
      await t.app.engine.open('hello', { key: 'pages-run' });
      for (const path of ['/', '/wf/hello', '/wf/slow', '/wf/widgets', '/profiles', '/wf/hello/runs/pages-run']) {
        const r = await page.goto(t.app.base + path);
        assert.equal(r?.status(), 200, path);
        // Pico and t.app.css applied (no inline styles are allowed, so this proves the stylesheets loaded).
        const font = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
        assert.match(font, /system-ui|sans-serif/, path);
        assert.ok(await page.evaluate(() => typeof (window as any).htmx?.process === 'function'), `htmx runs on ${path}`);
        assert.equal(await page.evaluate(() => (window as any).htmx.config.allowEval), false);
      }
      // The 404 page is a page too (Chrome logs its status, which withPage is told to expect).
      const r = await page.goto(t.app.base + '/wf/nope');
      assert.equal(r?.status(), 404);
      assert.match(await page.locator('h1').innerText(), /Not found/);
    }, [404]));
});
