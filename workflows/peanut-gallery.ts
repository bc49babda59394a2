import { workflow } from '../src/engine/index.ts';
import { keyValues, modelComment, text, textarea } from '../src/widgets/index.ts';

/**
 * Peanut gallery: a step that talks to the model. Paste a few numbers (or lines of text) → the
 * step counts them and asks the AI model for a short comment, which streams into the step's card
 * and is kept with the run (revert the step and it goes, like any output). Without a model the
 * comment says how to connect one, and the step still completes.
 */
export default workflow({
  id: 'peanut_gallery',
  title: 'Peanut gallery',
  description: 'Paste a few numbers and the AI model comments on them, live, in the step. Shows how a step talks to the model (`ctx.ai.comment`).',
})
  // Step 1 has no `run`: its output is the text as typed.
  .step({
    id: 'data',
    title: 'Your data',
    docs: 'A few lines: numbers (one per line), or any text.',
    fields: {
      lines: textarea({ label: 'Numbers or text, one item per line', rows: 8, max: 20_000, initial: '12\n15\n9\n41\n14\n13\n11' }),
    },
  })

  // Step 2 computes simple stats, then asks the model about them. `onText` hands each piece of the
  // comment to `partial`, so the card shows it while it streams; the final comment is in the output.
  .step({
    id: 'comment',
    title: 'Stats and a comment',
    docs: 'Counts the lines and, when they are numbers, their sum, mean, median and range. Then the AI model says what it sees.',
    fields: {
      question: text({ label: 'Ask the model', max: 300, initial: 'What stands out in these numbers?' }),
    },
    submitLabel: 'Count and ask the model',
    run: async ({ input, outputs, ai, partial }) => {
      const stats = statsOf(outputs.data.lines);
      const comment = await ai.comment({ prompt: input.question, data: stats, onText: (c) => partial({ stats, comment: c }) });
      return { stats, comment };
    },
    render: (out, ctx) => [keyValues(out.stats), modelComment(out.comment, ctx)],
  });

interface Stats {
  lines: number;
  words: number;
  numbers: number;
  sum: number | null;
  mean: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
}

/** Plain counts; the numeric ones only over lines that are numbers. */
function statsOf(textIn: string): Stats {
  const lines = textIn.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const nums = lines.map((l) => Number(l.replace(/,/g, ''))).filter((n) => Number.isFinite(n));
  const sorted = [...nums].sort((a, b) => a - b);
  const sum = nums.reduce((a, b) => a + b, 0);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length === 0 ? null : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return {
    lines: lines.length,
    words: lines.reduce((n, l) => n + l.split(/\s+/).length, 0),
    numbers: nums.length,
    sum: nums.length ? round(sum) : null,
    mean: nums.length ? round(sum / nums.length) : null,
    median: median === null ? null : round(median),
    min: sorted[0] ?? null,
    max: sorted[sorted.length - 1] ?? null,
  };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
