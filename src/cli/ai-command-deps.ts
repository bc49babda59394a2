/**
 * What tests change in the commands that talk to a model (models, chat, memory): where Ollama is
 * looked for when no provider is set, the HTTP client, the environment, and where the output goes
 * (default the process's).
 */
export interface AiCommandDeps {
  ollamaUrl?: string | undefined;
  fetch?: typeof fetch | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  stdout?: ((text: string) => void) | undefined;
  stderr?: ((text: string) => void) | undefined;
}
