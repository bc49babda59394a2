import type { Command } from 'commander';
import { MAX_UPLOAD_ENV, MAX_UPLOAD_HELP, resolveMaxUpload } from '../engine/upload-limit.ts';
import { CliError } from './exit-codes.ts';

/** Adds `--max-upload <size>` (serve and run share the one limit). */
export function withMaxUploadOption(cmd: Command): Command {
  return cmd.option('--max-upload <size>', MAX_UPLOAD_HELP);
}

/** The limit in bytes from `--max-upload`, else $RAILBOOK_MAX_UPLOAD, else the default; a bad value is bad usage (exit 2). */
export function maxUploadFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  try {
    return resolveMaxUpload(flag, env);
  } catch (e) {
    throw new CliError(`${(e as Error).message} (e.g. --max-upload 20GB, or ${MAX_UPLOAD_ENV}=500MB)`);
  }
}
