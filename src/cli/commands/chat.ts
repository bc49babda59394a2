import type { Command } from 'commander';
import type { AiCommandDeps } from '../ai-command-deps.ts';
import type { RailbookChatService } from '../../ai/chat/chat-service.ts';
import type { ChatEvent, Citation } from '../../ai/chat/chat-types.ts';
import type { Store } from '../../store/store.ts';
import { openStore, withGlobalOptions, type GlobalOptions } from '../context.ts';

interface Options extends GlobalOptions {
  new?: boolean;
  profile?: string;
  json?: boolean;
}

/** The input `railbook chat` reads when no message is given: a terminal (a prompt) or a pipe (the message). */
export type ChatInput = NodeJS.ReadableStream & { isTTY?: boolean | undefined };

/**
 * What the tests change: where Ollama is looked for when no provider is set, the HTTP client, the
 * environment, the input and where the output goes (default the process's), and whether Ctrl-C
 * is listened for on the process (not inside a test runner).
 */
export interface ChatDeps extends AiCommandDeps {
  stdin?: ChatInput | undefined;
  /** Whether the prompt draws on a terminal (readline's `terminal`); default: stdin and stdout are TTYs. */
  terminal?: boolean | undefined;
  /** Listens for Ctrl-C outside the prompt; returns how to stop listening. Default: the process's SIGINT. */
  onInterrupt?: ((handler: () => void) => () => void) | undefined;
}

/** What `--json` prints once the answer is complete. */
export interface ChatJson {
  conversationId: number | null;
  userTurnId: number | null;
  assistantTurnId: number | null;
  answer: string;
  reason: 'stop' | 'length' | 'aborted' | 'error';
  message: string | null;
  tools: { name: string; summary: string }[];
  citations: Citation[];
}

export function chatCommand(program: Command, deps: ChatDeps = {}): void {
  const cmd = program
    .command('chat')
    .description('talk to the AI model: the answer streams to the terminal, in the same conversation as the web pane')
    .argument('[message...]', 'what to say (without it: a prompt on a terminal, else the message is read from stdin)')
    .option('--new', 'start a new conversation first (the old one stays searchable)')
    .option('--profile <name>', 'whose conversation (default: the current profile, as in the web app)')
    .option('--json', 'print the whole answer as JSON when it is complete: {"conversationId", "answer", "reason", "message", "tools", "citations", …}')
    .addHelpText('after', `
At the prompt: /new starts a new conversation, /exit (or Ctrl-D) leaves; Ctrl-C stops the answer
being written (what came so far is kept), and Ctrl-C at the prompt leaves.

The model is chosen as on the Settings page, or by RAILBOOK_AI_PROVIDER, RAILBOOK_AI_BASE_URL,
RAILBOOK_AI_CHAT_MODEL … (see railbook models --help). The model's notes about you come along
into every conversation (railbook memory notes).

Exit codes: 0 answered (or stopped at the prompt), 1 no model is available or the model failed
(what to do is printed on stderr), 2 bad usage (a profile that does not exist, nothing to send).

Examples:
  railbook chat "What does the hello workflow do?"
  git diff | railbook chat
  railbook chat --new`)
    .action(async (words: string[], opts: Options) => {
      const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
      const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));
      const stdin: ChatInput = deps.stdin ?? process.stdin;
      const { CliError, EXIT } = await import('../exit-codes.ts');

      let message: string | undefined = words.length ? words.join(' ') : undefined;
      const interactive = message === undefined && stdin.isTTY === true;
      if (message === undefined && !interactive) {
        message = await readAll(stdin);
        if (message.trim() === '' && !opts.new) throw new CliError('nothing to send: give a message, or pipe one in', EXIT.usage);
      }

      const chat = await openChat(opts, deps);
      try {
        if (opts.new) {
          const id = await chat.service.newConversation(chat.profile);
          if (interactive || message?.trim() === '') err(`(a new conversation, #${id})\n`);
        }
        if (interactive) {
          await prompt(chat.service, chat.profile, stdin, out, err, deps);
          return;
        }
        if (message === undefined || message.trim() === '') return;

        const stop = new AbortController();
        const listen = deps.onInterrupt ?? processInterrupt;
        const unlisten = listen(() => stop.abort());
        let result: ChatJson;
        try {
          result = await oneTurn(chat.service, chat.profile, message, stop.signal, opts.json ? () => {} : out, err);
        } finally {
          unlisten();
        }
        if (opts.json) out(`${JSON.stringify(result, null, 2)}\n`);
        if (result.reason === 'error') throw new CliError(result.message ?? 'the model failed', EXIT.unexpected);
        if (result.reason === 'aborted') throw new CliError('stopped: the answer so far is kept', EXIT.unexpected);
      } finally {
        await chat.close();
      }
    });
  withGlobalOptions(cmd, { workflows: false });
}

interface OpenChat {
  service: RailbookChatService;
  profile: string;
  close(): Promise<void>;
}

/** The chat on the data folder's memory, with the settings read from the store for every turn. */
async function openChat(opts: Options, deps: ChatDeps): Promise<OpenChat> {
  const [{ Store }, { resolveDataDir }, { loadAiSettings, AiSettingsError }, { chooseProvider }, { openAssistant }, { CliError, EXIT }] = await Promise.all([
    import('../../store/store.ts'),
    import('../../store/data-dir.ts'),
    import('../../ai/ai-settings.ts'),
    import('../../ai/choose-provider.ts'),
    import('../../ai/assistant.ts'),
    import('../exit-codes.ts'),
  ]);
  const store: Store = await openStore(opts, resolveDataDir, (dir, databaseUrl) => Store.open(dir, { databaseUrl }));
  try {
    const profile = opts.profile ?? (await store.profiles.current());
    if (opts.profile !== undefined && !(await store.profiles.exists(opts.profile))) {
      throw new CliError(`no profile "${opts.profile}" (railbook profiles lists them)`, EXIT.usage);
    }
    const env = deps.env ?? process.env;
    const settings = async () => {
      try {
        return await loadAiSettings(store, env);
      } catch (e) {
        if (e instanceof AiSettingsError) throw new CliError(e.message, EXIT.usage);
        throw e;
      }
    };
    // The same assistant as the web pane's: conversation, notes and cited passages from memory.
    const assistant = openAssistant({
      dataDir: store.dataDir,
      settings,
      choose: (s) => chooseProvider(s, { ollamaUrl: deps.ollamaUrl, fetch: deps.fetch }),
    });
    return {
      service: assistant.chat,
      profile,
      close: async () => {
        // A summary being made is finished first: it was asked for already.
        await assistant.chat.idle();
        await assistant.close();
        await store.close();
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** One turn, written as it comes: tokens to `out`, tool use and problems to `err`, sources after. */
async function oneTurn(service: RailbookChatService, profile: string, message: string, signal: AbortSignal, out: (t: string) => void, err: (t: string) => void): Promise<ChatJson> {
  const r: ChatJson = { conversationId: null, userTurnId: null, assistantTurnId: null, answer: '', reason: 'stop', message: null, tools: [], citations: [] };
  let lineOpen = false;
  const write = (t: string) => {
    if (t === '') return;
    out(t);
    lineOpen = !t.endsWith('\n');
  };
  for await (const e of service.turn({ profile, message, signal }) as AsyncIterable<ChatEvent>) {
    switch (e.type) {
      case 'start':
        r.conversationId = e.conversationId;
        r.userTurnId = e.userTurnId;
        break;
      case 'token':
        r.answer += e.text;
        write(e.text);
        break;
      case 'tool':
        r.tools.push({ name: e.name, summary: e.summary });
        if (lineOpen) write('\n');
        err(`(${e.summary})\n`);
        break;
      case 'citations':
        r.citations = e.citations;
        break;
      case 'done':
        r.reason = e.reason;
        r.assistantTurnId = e.assistantTurnId ?? null;
        r.message = e.message ?? null;
        break;
    }
  }
  if (lineOpen) write('\n');
  if (r.citations.length > 0 && r.reason !== 'error') {
    write(`\nSources:\n${r.citations.map((c) => `  [${c.n}] ${c.title ? `${c.title} — ` : ''}${c.source}`).join('\n')}\n`);
  }
  if (r.reason === 'length') err('(the answer was cut at the token limit)\n');
  return r;
}

/** The interactive prompt: one turn per line; Ctrl-C stops an answer, or leaves at the prompt. */
async function prompt(service: RailbookChatService, profile: string, stdin: ChatInput, out: (t: string) => void, err: (t: string) => void, deps: ChatDeps): Promise<void> {
  const [{ createInterface }, { Writable }] = await Promise.all([import('node:readline'), import('node:stream')]);
  const output = deps.stdout
    ? new Writable({ write: (chunk: Buffer | string, _enc, cb) => { out(chunk.toString()); cb(); } })
    : process.stdout;
  const terminal = deps.terminal ?? (stdin.isTTY === true && process.stdout.isTTY === true);
  const rl = createInterface({ input: stdin, output, terminal, prompt: '> ' });
  // Taken at once: lines (and the end of piped input) that come before the loop starts are kept.
  const lines = rl[Symbol.asyncIterator]();
  let answering: AbortController | undefined;
  rl.on('SIGINT', () => {
    if (answering) {
      answering.abort();
    } else {
      rl.close();
    }
  });
  const ready = await service.readiness();
  err(ready.ready ? `(${ready.detail}; /new starts a new conversation, /exit leaves)\n` : `${ready.help ?? ready.detail}\n`);
  rl.prompt();
  for await (const raw of { [Symbol.asyncIterator]: () => lines }) {
    const line = raw.trim();
    if (line === '/exit' || line === '/quit') break;
    if (line === '/new') {
      err(`(a new conversation, #${await service.newConversation(profile)})\n`);
    } else if (line !== '') {
      answering = new AbortController();
      try {
        const r = await oneTurn(service, profile, raw, answering.signal, out, err);
        if (r.reason === 'error') err(`${r.message ?? 'the model failed'}\n`);
        if (r.reason === 'aborted') err('(stopped)\n');
      } finally {
        answering = undefined;
      }
    }
    rl.prompt();
  }
  rl.close();
}

function processInterrupt(handler: () => void): () => void {
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of input) parts.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(parts).toString('utf8');
}
