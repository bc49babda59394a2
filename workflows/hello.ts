import { workflow } from '../src/engine/index.ts';
import { markdownView, text } from '../src/widgets/index.ts';

/**
 * Hello: the smallest complete workflow. Your name → a greeting suggested from it → finalize.
 * Read it top to bottom; every workflow file has this shape.
 */
export default workflow({
  id: 'hello',
  title: 'Hello',
  description: 'Tell Railbook your name and it suggests a greeting. Finalize the run to lock it.',
})
  // Step 1 has no `run`: its output is simply the validated input.
  .step({
    id: 'name',
    title: 'Your name',
    docs: 'What should we call you?',
    fields: {
      name: text({ label: 'Your name', max: 80, placeholder: 'Ada Lovelace' }),
    },
    render: (out) => markdownView(`Your name is **${escapeMd(out.name)}**.`),
  })

  // Step 2 suggests a value from step 1's output; the person may edit it before submitting.
  .step({
    id: 'greeting',
    title: 'Greeting',
    docs: 'A greeting, suggested from your name. Change it if you like.',
    fields: {
      greeting: text({ label: 'Greeting', max: 200 }),
    },
    suggest: ({ outputs }) => ({ greeting: `Hello, ${outputs.name.name}!` }),
    run: ({ input }) => ({ greeting: input.greeting, length: input.greeting.length }),
    render: (out) => markdownView(`## ${escapeMd(out.greeting)}\n\n(${out.length} characters)`),
  });

/** Names are text, not markdown: `*` or `_` in them must show as typed. */
function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
