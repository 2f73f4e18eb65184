import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { delayProblem, type DelayValue } from '../message/delay.ts';
import type { PublishCallOptions } from '../runtime/publisher.ts';
import { publishLines } from '../ops/publish-lines.ts';
import { EXIT, type CliCommand } from './cli-io.ts';
import { parseCommandArgs, usageError } from './command-args.ts';
import { noteInProcess, withOpsSession } from './ops-command.ts';

/**
 * `actorq publish <config> <queue-id> <json|@file|-> [--header k=v]...
 * [--delay <duration>] [--id <id>]`: publishes to a queue by connecting only
 * its driver: no consumer starts and no handler code is loaded. `-` reads
 * standard input, one message per line.
 */
export const publishCommand: CliCommand = {
  summary: 'publish messages to a queue (connects only its driver)',
  usage: 'actorq publish <config> <queue-id> <json|@file|-> [--header k=v]... [--delay <duration>] [--id <id>]',
  help: `Publishes to a queue of the configuration, through the same checks as
runtime.publish (plain JSON bodies, max_message_size, reserved headers),
connecting only that queue's driver: no consumer starts and no handler
code is loaded.

the message:
  '{"id": 1}'    JSON text (quote it for the shell; a string body is '"text"')
  @file.json     the JSON document in a file: one message
  -              standard input, one JSON message per line (blank lines
                 ignored); a line that is not JSON or that publish refuses
                 is reported with its number and skipped, the others go

options:
  --header k=v        a string header (repeatable)
  --header k:=<json>  a number, boolean or string header given as JSON,
                      e.g. --header priority:=5 --header urgent:=true
  --delay <duration>  deliver no sooner than this from now: ms or "5s", "1m30s"
  --id <id>           message ID (a single message only; default: a new UUID)

Prints what was published; with -, how many messages and which lines were
skipped. An in-memory driver's queues live in the process running them:
publishing to one from here reaches no running \`actorq run\`.

exit codes: 0 published, 1 the configuration is invalid, the backend failed or
refused a message, or a line was skipped, 2 usage error (including a message
that is not JSON or a file that cannot be read).`,
  async run(args, io) {
    const parsed = parseCommandArgs(this, args, { header: { type: 'string', multiple: true }, delay: { type: 'string' }, id: { type: 'string' } }, io);
    if ('exit' in parsed) return parsed.exit;
    const [config, queueId, message, ...extra] = parsed.positionals;
    if (config === undefined || queueId === undefined) return usageError(this, 'name the configuration and the queue', io);
    if (message === undefined) return usageError(this, 'no message: give JSON text, @file, or - to read one message per line from standard input', io);
    if (extra.length > 0) return usageError(this, `unexpected argument "${extra[0]}" (one message per command; use - for many)`, io);
    const headers = parseHeaders((parsed.values['header'] as string[] | undefined) ?? []);
    if (typeof headers === 'string') return usageError(this, headers, io);
    const delay = parseDelayOption(parsed.values['delay'] as string | undefined);
    if (typeof delay === 'object') return usageError(this, delay.problem, io);
    const id = parsed.values['id'] as string | undefined;
    if (id !== undefined && message === '-') return usageError(this, '--id names one message; it cannot go with - (many messages)', io);
    const options: PublishCallOptions = { ...(Object.keys(headers).length > 0 ? { headers } : {}), ...(delay === undefined ? {} : { delay }) };

    let body: unknown;
    if (message !== '-') {
      const read = await readMessage(message);
      if ('problem' in read) return usageError(this, read.problem, io);
      body = read.body;
    }
    return withOpsSession(config, io, async (session) => {
      const binding = await session.queue(queueId);
      noteInProcess(session, binding.entry, io);
      if (message !== '-') {
        const messageId = id ?? randomUUID();
        await session.publisher.publish(queueId, body, { ...options, id: messageId });
        io.out(`published 1 message to ${queueId} (id ${messageId}${delay === undefined ? '' : `, delay ${String(delay)}`})`);
        return EXIT.ok;
      }
      const lines = createInterface({ input: io.stdin ?? process.stdin, crlfDelay: Infinity });
      const report = await publishLines(session.publisher, queueId, lines, options);
      io.out(`published ${report.published} message${report.published === 1 ? '' : 's'} to ${queueId} from standard input`);
      for (const s of report.skipped) io.err(`line ${s.line} skipped: ${s.reason}`);
      if (report.stopped) {
        io.err(`stopped at line ${report.stopped.fromLine}: ${(report.stopped.error as Error).message ?? String(report.stopped.error)}`);
        io.err(`lines from ${report.stopped.fromLine} on were not published (the batch starting there may be partly stored)`);
      }
      if (report.skipped.length > 0) io.err(`${report.skipped.length} line${report.skipped.length === 1 ? '' : 's'} skipped`);
      return report.skipped.length > 0 || report.stopped ? EXIT.failed : EXIT.ok;
    });
  },
};

/** `--header` values as headers, or the problem with one. */
function parseHeaders(specs: readonly string[]): Record<string, string | number | boolean> | string {
  const headers: Record<string, string | number | boolean> = {};
  for (const spec of specs) {
    const typed = /^([^=:]+):=(.*)$/s.exec(spec);
    const plain = /^([^=]+)=(.*)$/s.exec(spec);
    if (typed) {
      let value: unknown;
      try {
        value = JSON.parse(typed[2]!);
      } catch {
        return `--header ${spec}: the value after := must be JSON (a number, true/false, or a "string")`;
      }
      if (typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'string') return `--header ${spec}: a header value is a string, number or boolean`;
      headers[typed[1]!.trim()] = value;
    } else if (plain) {
      headers[plain[1]!.trim()] = plain[2]!;
    } else {
      return `--header ${spec}: expected name=value (or name:=<json> for a number or boolean)`;
    }
  }
  return headers;
}

/** `--delay` as a delay (digits are ms), `undefined` when absent, or the problem. */
function parseDelayOption(value: string | undefined): DelayValue | undefined | { problem: string } {
  if (value === undefined) return undefined;
  const delay: DelayValue = /^\d+$/.test(value) ? Number(value) : value;
  const problem = delayProblem(delay);
  return problem === undefined ? delay : { problem: `--delay ${value}: ${problem}` };
}

/** The body of a message given on the command line: JSON text, or `@file` holding one JSON document. */
async function readMessage(arg: string): Promise<{ body: unknown } | { problem: string }> {
  let text = arg;
  let where = 'the message';
  if (arg.startsWith('@')) {
    where = arg.slice(1);
    try {
      text = await readFile(where, 'utf8');
    } catch (error) {
      return { problem: `cannot read ${where}: ${(error as Error).message}` };
    }
  }
  try {
    return { body: JSON.parse(text) };
  } catch (error) {
    const hint = arg.startsWith('@') ? '' : ` (a string body is quoted JSON: '"${arg.replace(/'/g, '')}"')`;
    return { problem: `${where} is not JSON: ${(error as Error).message}${hint}` };
  }
}
