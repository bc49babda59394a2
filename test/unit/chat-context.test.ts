// The budgeted context: what goes into the system prompt, in which order and within which share,
// and which turns are kept (newest first, in order) or left for the summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildContext, DEFAULT_BUDGET, resolveBudget, type ContextInput } from '../../src/ai/chat/context.ts';
import type { StoredTurn } from '../../src/ai/chat/chat-types.ts';
import { clipToTokens, estimateTokens, messagesTokens } from '../../src/ai/chat/tokens.ts';

let nextId = 1;
const turn = (role: StoredTurn['role'], content: string, extra: Partial<StoredTurn> = {}): StoredTurn => ({
  id: nextId++,
  conversationId: 1,
  role,
  content,
  status: 'done',
  createdAt: 0,
  ...extra,
});

const base = (over: Partial<ContextInput> = {}): ContextInput => ({
  personaName: 'Ada',
  notes: [],
  summary: { text: '', upto: 0 },
  turns: [],
  message: 'Hello?',
  budget: resolveBudget(),
  ...over,
});

test('tokens are estimated as ceil(chars / 4), and clipping stays within them', () => {
  assert.equal(estimateTokens(''), 0);
  assert.equal(estimateTokens('abcd'), 1);
  assert.equal(estimateTokens('abcde'), 2);
  const clipped = clipToTokens('x'.repeat(100), 10);
  assert.ok(estimateTokens(clipped) <= 10);
  assert.ok(clipped.endsWith('…'));
  assert.equal(clipToTokens('short', 10), 'short');
});

test('the system prompt: persona, own prompt, notes, place, passages, summary — in that order', () => {
  const ctx = buildContext(
    base({
      systemPrompt: 'Speak like a sailor.',
      notes: [{ key: 'city', value: 'Utrecht', source: 'person', updatedAt: 2 }],
      place: 'Workflow: "Hello"',
      passages: [{ n: 1, documentId: 7, source: 'notes.md', excerpt: 'Bridges  need\npaint.', score: 0.9 }],
      summary: { text: 'They talked about bridges.', upto: 3 },
      tools: true,
    }),
  );
  const system = ctx.messages[0]!;
  assert.equal(system.role, 'system');
  const order = ['You are Ada', 'Speak like a sailor.', '- city: Utrecht', 'Workflow: "Hello"', '[1] notes.md: Bridges need paint.', 'They talked about bridges.'].map((s) => system.content.indexOf(s));
  assert.ok(order.every((i) => i >= 0), `${order}`);
  assert.deepEqual([...order].sort((a, b) => a - b), order);
  assert.match(system.content, /remember and forget tools/);
  assert.deepEqual(ctx.passages.map((p) => p.n), [1]);
  assert.deepEqual(ctx.messages.at(-1), { role: 'user', content: 'Hello?' });
});

test('notes stay within their share, newest first; the rest are counted', () => {
  const notes = Array.from({ length: 50 }, (_, i) => ({ key: `fact ${i}`, value: 'v'.repeat(60), source: 'model' as const, updatedAt: 50 - i }));
  const budget = resolveBudget({ notesTokens: 100 });
  const system = buildContext(base({ notes, budget })).messages[0]!.content;
  assert.match(system, /- fact 0:/);
  assert.doesNotMatch(system, /- fact 49:/);
  const section = system.slice(system.indexOf('Notes you keep'));
  assert.ok(estimateTokens(section) <= 100 + 12, `${estimateTokens(section)}`);
  assert.match(section, /\(\d+ more: use recall to read them\)/);
});

test('the newest turns that fit are kept in order; older ones are left for the summary', () => {
  const turns = Array.from({ length: 30 }, (_, i) => turn(i % 2 ? 'assistant' : 'user', `turn ${i} ${'word '.repeat(40)}`));
  const budget = resolveBudget({ contextTokens: 1000, answerTokens: 250 });
  const ctx = buildContext(base({ turns, budget }));
  assert.ok(ctx.tokens <= budget.contextTokens - budget.answerTokens, `${ctx.tokens}`);
  assert.equal(ctx.tokens, messagesTokens(ctx.messages));
  const kept = ctx.messages.slice(1, -1);
  assert.ok(kept.length > 2 && kept.length < 30);
  assert.match(kept.at(-1)!.content, /^turn 29 /);
  const keptIds = kept.map((m) => Number(/^turn (\d+)/.exec(m.content)?.[1]));
  assert.deepEqual(keptIds, [...keptIds].sort((a, b) => a - b));
  assert.deepEqual(ctx.left.map((t) => t.content.split(' ')[1]), Array.from({ length: 30 - kept.length }, (_, i) => String(i)));
});

test('a question longer than the window is cut, not dropped; failed empty turns are skipped', () => {
  const budget = resolveBudget({ contextTokens: 300, answerTokens: 100 });
  const ctx = buildContext(base({ message: 'q'.repeat(5000), budget, turns: [turn('user', 'hi'), turn('assistant', '', { status: 'failed', error: 'x' })] }));
  assert.ok(ctx.tokens <= 200 + 8, `${ctx.tokens}`);
  assert.equal(ctx.messages.at(-1)?.role, 'user');
  assert.ok(ctx.messages.at(-1)!.content.endsWith('…'));
  assert.deepEqual(ctx.left.map((t) => t.content), ['hi'], 'the empty failed turn has nothing to keep');
});

test('a stopped answer says so; a small window shrinks the parts', () => {
  const ctx = buildContext(base({ turns: [turn('user', 'go'), turn('assistant', 'half', { status: 'stopped' })] }));
  assert.equal(ctx.messages[2]?.content, 'half [stopped by the person]');
  const small = resolveBudget({ contextTokens: 512 });
  assert.equal(small.answerTokens, 256);
  assert.ok(small.notesTokens + small.placeTokens + small.passagesTokens + small.summaryTokens <= (512 - 256) * 0.6);
  assert.deepEqual(resolveBudget(), DEFAULT_BUDGET);
});
