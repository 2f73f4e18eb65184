import type { QueueInfo } from '../drivers/driver.ts';
import type { OpsSession } from '../ops/ops-session.ts';
import { EXIT, type CliCommand } from './cli-io.ts';
import { parseCommandArgs, usageError } from './command-args.ts';
import { noteInProcess, withOpsSession } from './ops-command.ts';
import { table } from './text-table.ts';

/**
 * `actorq info <config> [queue-id] [--json]`: a queue's figures (or every
 * queue's) straight from its backend, connecting only the drivers needed.
 */
export const infoCommand: CliCommand = {
  summary: "show queues' figures from their backends (connects only their drivers)",
  usage: 'actorq info <config> [queue-id] [--json]',
  help: `Asks each queue's driver for its figures: ready, in flight (held by
consumers), delayed (waiting for a delay or a retry backoff), parked
(undecodable entries set aside), consumers attached. Without a queue ID,
every queue of the configuration. Connects only the drivers of those
queues; nothing is consumed.

options:
  --json   print the figures as JSON (queue ID -> figures, or {"error": ...})

exit codes: 0 printed, 1 the configuration is invalid or a queue's backend
could not answer (the others are still printed), 2 usage error.`,
  async run(args, io) {
    const parsed = parseCommandArgs(this, args, { json: { type: 'boolean', default: false } }, io);
    if ('exit' in parsed) return parsed.exit;
    const [config, queueId, ...extra] = parsed.positionals;
    if (config === undefined) return usageError(this, 'name the configuration', io);
    if (extra.length > 0) return usageError(this, `unexpected argument "${extra[0]}"`, io);
    return withOpsSession(config, io, async (session) => {
      const ids = queueId === undefined ? session.queueEntries.map((q) => q.id) : [session.queueEntry(queueId).id];
      for (const id of ids) noteInProcess(session, session.queueEntry(id), io);
      const figures = await Promise.all(ids.map((id) => figuresOf(session, id)));
      if (parsed.values['json']) {
        io.out(JSON.stringify(Object.fromEntries(figures.map((f) => [f.id, 'info' in f ? f.info : { error: f.error }])), null, 2));
      } else if (figures.length === 0) {
        io.out('the configuration has no queue');
      } else {
        const cell = (v: unknown) => (v === undefined ? '-' : String(v));
        const rows = figures.map((f) =>
          'info' in f ? [f.id, f.driver, cell(f.info.ready), cell(f.info.in_flight), cell(f.info.delayed), cell(f.info.parked), cell(f.info.consumer_count)] : [f.id, f.driver, '?', '?', '?', '?', '?'],
        );
        io.out(table(['queue', 'driver', 'ready', 'in flight', 'delayed', 'parked', 'consumers'], rows));
      }
      const failed = figures.filter((f) => 'error' in f);
      for (const f of failed) io.err(`${f.id}: ${'error' in f ? f.error : ''}`);
      return failed.length > 0 ? EXIT.failed : EXIT.ok;
    });
  },
};

type Figures = { id: string; driver: string } & ({ info: QueueInfo } | { error: string });

/** One queue's figures, or why its backend could not give them (one unreachable broker does not hide the others). */
async function figuresOf(session: OpsSession, id: string): Promise<Figures> {
  const driver = session.driverEntryOf(session.queueEntry(id)).id;
  try {
    const binding = await session.queue(id);
    return { id, driver, info: await binding.driver.info(binding.declaration.name) };
  } catch (error) {
    return { id, driver, error: error instanceof Error ? error.message : String(error) };
  }
}
