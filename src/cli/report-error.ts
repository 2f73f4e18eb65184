import { ActorqError } from '../errors/actorq-error.ts';
import { ConfigError, formatConfigIssue } from '../errors/config-error.ts';
import type { CliIo } from './cli-io.ts';

/**
 * Prints an error for a person: every configuration issue on its own line,
 * actorq errors as `code: message`, and a stack trace only for the
 * unexpected (a bug in actorq or a handler), where it helps.
 */
export function reportError(error: unknown, io: CliIo): void {
  if (error instanceof ConfigError) {
    io.err(`configuration invalid (${error.issues.length} problem${error.issues.length === 1 ? '' : 's'}):`);
    for (const issue of error.issues) io.err(`  ${formatConfigIssue(issue)}`);
  } else if (error instanceof ActorqError) {
    io.err(`error ${error.code}: ${error.message}`);
  } else if (error instanceof Error) {
    io.err(error.stack ?? error.message);
  } else {
    io.err(String(error));
  }
}
