import { EXIT, type CliCommand } from './cli-io.ts';
import { parseCommandArgs, usageError } from './command-args.ts';
import { adminOr, countOption, noteInProcess, withOpsSession } from './ops-command.ts';
import { storedEntryLine } from './stored-entry-json.ts';

/** Most messages one peek shows. */
const MAX_PEEK = 10_000;

/**
 * `actorq peek <config> <queue-id> [-n N]`: the next messages of a queue,
 * one JSON line each, without consuming them where the driver can.
 */
export const peekCommand: CliCommand = {
  summary: 'show the next messages of a queue without consuming them',
  usage: 'actorq peek <config> <queue-id> [-n <count>]',
  help: `Prints the next messages of a queue (the head: what a consumer gets
next), one JSON line each: {"id","headers","body"}, or {"undecodable",
"preview"} for an entry another program stored that is not a message.
Connects only the queue's driver; only ready messages are shown (not those
in flight or waiting for a delay).

How each driver reads:
  memory, redis,  a browse: nothing changes.
  nats
  amqp            AMQP cannot read without taking: the messages are taken
                  (basic.get) and handed straight back in their order (nack
                  with requeue). They come back marked redelivered, a quorum
                  queue counts a delivery, and for that moment no consumer
                  gets them. Said on stderr each time.
  sqs             SQS cannot read without taking either: the messages are
                  received and handed back (visibility 0). SQS may deliver
                  them in another order, and each receive counts against
                  dead_letter.max_attempts and a redrive policy. Said on
                  stderr each time.
  others          say that they do not support it (exit code 3).

options:
  -n, --count <n>   how many (default 10, at most ${MAX_PEEK})

exit codes: 0 printed, 1 the configuration is invalid or the backend failed,
2 usage error, 3 the driver does not support peek.`,
  async run(args, io) {
    const parsed = parseCommandArgs(this, args, { count: { type: 'string', short: 'n', default: '10' } }, io);
    if ('exit' in parsed) return parsed.exit;
    const [config, queueId, ...extra] = parsed.positionals;
    if (config === undefined || queueId === undefined) return usageError(this, 'name the configuration and the queue', io);
    if (extra.length > 0) return usageError(this, `unexpected argument "${extra[0]}"`, io);
    const count = countOption(parsed.values['count'], 1, MAX_PEEK);
    if (count === undefined) return usageError(this, `-n: expected a whole number from 1 to ${MAX_PEEK}, got "${String(parsed.values['count'])}"`, io);
    return withOpsSession(config, io, async (session) => {
      const binding = await session.queue(queueId);
      noteInProcess(session, binding.entry, io);
      const admin = adminOr(binding, session, 'peek', io);
      if (!admin) return EXIT.unsupported;
      const entries = await admin.peek(binding.declaration.name, count);
      for (const entry of entries) io.out(storedEntryLine(entry));
      const info = await binding.driver.info(binding.declaration.name).catch(() => undefined);
      const of = info ? ` of ${info.ready} ready` : '';
      io.err(`${entries.length} message${entries.length === 1 ? '' : 's'}${of} at the head of ${queueId}`);
      if (admin.peekMode === 'take-and-return' && entries.length > 0) {
        io.err(`note: this driver cannot read without taking: these messages were taken and ${admin.peekEffect ?? 'handed back'}`);
      }
      return EXIT.ok;
    });
  },
};
