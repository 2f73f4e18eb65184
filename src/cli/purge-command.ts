import { EXIT, type CliCommand } from './cli-io.ts';
import { parseCommandArgs, usageError } from './command-args.ts';
import { adminOr, noteInProcess, withOpsSession } from './ops-command.ts';

/** `actorq purge <config> <queue-id> --yes`: deletes a queue's ready messages. */
export const purgeCommand: CliCommand = {
  summary: 'delete every ready message of a queue (needs --yes)',
  usage: 'actorq purge <config> <queue-id> --yes',
  help: `Deletes every ready message of a queue, for good. Messages in flight
(held by consumers) and messages waiting for a delay or a retry backoff
stay; so do parked entries and dead letters (another queue). Publishers
waiting for room in a full queue are let in. Refuses without --yes.

options:
  --yes   really delete

exit codes: 0 purged (prints how many), 1 the configuration is invalid or the
backend failed, 2 usage error (including a missing --yes), 3 the driver does
not support purge.`,
  async run(args, io) {
    const parsed = parseCommandArgs(this, args, { yes: { type: 'boolean', default: false } }, io);
    if ('exit' in parsed) return parsed.exit;
    const [config, queueId, ...extra] = parsed.positionals;
    if (config === undefined || queueId === undefined) return usageError(this, 'name the configuration and the queue', io);
    if (extra.length > 0) return usageError(this, `unexpected argument "${extra[0]}"`, io);
    if (!parsed.values['yes']) return usageError(this, `purge deletes every ready message of ${queueId} for good; add --yes to do it`, io);
    return withOpsSession(config, io, async (session) => {
      const binding = await session.queue(queueId);
      noteInProcess(session, binding.entry, io);
      const admin = adminOr(binding, session, 'purge', io);
      if (!admin) return EXIT.unsupported;
      const purged = await admin.purge(binding.declaration.name);
      const info = await binding.driver.info(binding.declaration.name).catch(() => undefined);
      const stay = info ? ` (staying: ${info.in_flight} in flight, ${info.delayed ?? 0} delayed)` : '';
      io.out(`purged ${purged} ready message${purged === 1 ? '' : 's'} from ${queueId}${stay}`);
      return EXIT.ok;
    });
  },
};
