import { deadLetterScope, listDeadLetters, replayDeadLetters, type DeadLetterScope, type ReplayReport } from '../ops/dead-letters.ts';
import { EXIT, type CliCommand, type CliIo } from './cli-io.ts';
import { parseCommandArgs, usageError } from './command-args.ts';
import { adminOr, countOption, noteInProcess, withOpsSession } from './ops-command.ts';
import { storedEntryLine } from './stored-entry-json.ts';

/** Letters `list` shows unless told. */
const DEFAULT_LIST = 20;
/** Largest `--limit`. */
const MAX_LIMIT = 1_000_000;
/** Exit code of a replay ended by Ctrl-C (after the letter in hand). */
const INTERRUPTED = 130;

/**
 * `actorq dead-letters <config> <queue-id> list|replay [--to <queue-id>]
 * [--limit n]`: reads a queue's dead letters, or moves them back to work
 * (at least once: each copy is published and confirmed before its dead
 * letter is removed).
 */
export const deadLettersCommand: CliCommand = {
  summary: 'list or replay the dead letters of a queue',
  usage: 'actorq dead-letters <config> <queue-id> list|replay [--to <queue-id>] [--limit <n>]',
  help: `<queue-id> is a queue with a dead_letter block (its letters in its
dead-letter queue: those whose x_original_queue is that queue), or a
dead-letter queue itself (all its letters). Connects only the drivers
involved; no consumer starts.

list     prints the letters from the head, one JSON line each
         ({"id","headers","body"}: x_original_queue, x_dead_letter_reason,
         x_dead_letter_time and attempts are in the headers). Nothing is
         removed. (AMQP: read by taking and handing back, as peek does.)
replay   moves letters back to work: to --to, else each to its
         x_original_queue. For each letter a copy (same ID, body and
         headers, attempts and the dead-letter headers removed, so it gets
         its full max_attempts again) is published and confirmed, and only
         then is the letter removed: interrupted at any moment, a letter is
         in one queue or (between the two steps) in both, never in none.
         Ctrl-C finishes the letter in hand and stops (a second one quits
         at once, still losing nothing). Left in place and counted:
         undecodable entries set aside by a driver, letters of other
         queues, letters without a usable x_original_queue (use --to), and
         letters the target refuses (body rule, size).

options:
  --to <queue-id>   replay every letter to this queue
  --limit <n>       list: how many (default ${DEFAULT_LIST}); replay: at most this many
                    (default: every letter there when the replay starts)

exit codes: 0 done, 1 the configuration is invalid, the backend failed (the
letter in hand stays), or the queue has no dead letters configured, 2 usage
error, 3 the driver does not support it, 130 replay interrupted by Ctrl-C.`,
  async run(args, io) {
    const parsed = parseCommandArgs(this, args, { to: { type: 'string' }, limit: { type: 'string' } }, io);
    if ('exit' in parsed) return parsed.exit;
    const [config, queueId, action, ...extra] = parsed.positionals;
    if (config === undefined || queueId === undefined) return usageError(this, 'name the configuration and the queue', io);
    if (action !== 'list' && action !== 'replay') return usageError(this, action === undefined ? 'say list or replay' : `unknown action "${action}": expected list or replay`, io);
    if (extra.length > 0) return usageError(this, `unexpected argument "${extra[0]}"`, io);
    const to = parsed.values['to'] as string | undefined;
    if (to !== undefined && action === 'list') return usageError(this, '--to is for replay', io);
    const given = parsed.values['limit'];
    const limit = given === undefined ? (action === 'list' ? DEFAULT_LIST : Infinity) : countOption(given, 1, MAX_LIMIT);
    if (limit === undefined) return usageError(this, `--limit: expected a whole number from 1 to ${MAX_LIMIT}, got "${String(given)}"`, io);

    return withOpsSession(config, io, async (session) => {
      const scope = deadLetterScope(session, queueId);
      const binding = await session.queue(scope.queue.id);
      noteInProcess(session, scope.queue, io);
      const admin = adminOr(binding, session, `dead-letters ${action}`, io);
      if (!admin) return EXIT.unsupported;
      if (action === 'list') {
        const { letters } = await listDeadLetters(session, admin, scope, limit);
        for (const letter of letters) io.out(storedEntryLine(letter));
        io.err(`${letters.length} dead letter${letters.length === 1 ? '' : 's'} ${describe(scope)}${letters.length === limit ? ` (the first ${limit}; --limit for more)` : ''}`);
        return EXIT.ok;
      }
      const interrupt = new AbortController();
      const onSignal = () => {
        io.err('actorq: interrupted; finishing the letter in hand (again to quit at once)');
        interrupt.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let report: ReplayReport;
      try {
        report = await replayDeadLetters(session, admin, scope, { limit, signal: interrupt.signal, ...(to === undefined ? {} : { to }) });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      printReport(report, scope, io);
      if (report.error !== undefined) return EXIT.failed;
      return report.aborted ? INTERRUPTED : EXIT.ok;
    });
  },
};

/** Where the letters are, in words. */
function describe(scope: DeadLetterScope): string {
  return scope.source ? `of ${scope.source.id} in ${scope.queue.id}` : `in ${scope.queue.id}`;
}

function printReport(report: ReplayReport, scope: DeadLetterScope, io: CliIo): void {
  const total = [...report.replayed.values()].reduce((a, b) => a + b, 0);
  const targets = [...report.replayed].map(([id, n]) => `${n} to ${id}`).join(', ');
  io.out(`replayed ${total} dead letter${total === 1 ? '' : 's'} ${describe(scope)}${total > 0 ? `: ${targets} (attempts reset)` : ''}`);
  for (const [reason, n] of report.skipped) io.out(`left in place: ${n} ${reason}`);
  if (report.gone > 0) io.out(`${report.gone} taken by a consumer of ${scope.queue.id} during the replay: their copies were published too (delivered twice)`);
  if (report.aborted) io.err('interrupted: the letters not replayed stay where they were');
  if (report.error !== undefined) {
    const message = report.error instanceof Error ? report.error.message : String(report.error);
    io.err(`replay stopped: ${message}\nthe letter it was on and every later one stay in ${scope.queue.id}`);
  }
}
