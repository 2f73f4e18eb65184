import { loadConfig } from '../config/load-config.ts';
import type { QueueEntry } from '../config/entry-types.ts';
import type { QueueAdmin } from '../drivers/queue-admin.ts';
import { OpsSession } from '../ops/ops-session.ts';
import type { QueueBinding } from '../runtime/runtime-wiring.ts';
import { streamLogger } from '../util/logger.ts';
import { EXIT, type CliIo } from './cli-io.ts';
import { reportError } from './report-error.ts';

/**
 * Runs an operator command on a configuration: loads it (no handler file
 * is read or run), hands `use` an {@link OpsSession} that connects only the
 * drivers asked for, and stops them again whatever happens. A failure is
 * reported as one line (every problem for an invalid configuration) and
 * gives exit code 1. Driver warnings (reconnects) go to stderr.
 */
export async function withOpsSession(config: string, io: CliIo, use: (session: OpsSession) => Promise<number>): Promise<number> {
  let session: OpsSession;
  try {
    const kinds = io.kinds === undefined ? {} : { kinds: io.kinds };
    session = new OpsSession(await loadConfig([config], kinds), { ...kinds, logger: streamLogger('warn', (line) => io.err(line)) });
  } catch (error) {
    reportError(error, io);
    return EXIT.failed;
  }
  try {
    return await use(session);
  } catch (error) {
    reportError(error, io);
    return EXIT.failed;
  } finally {
    await session.close();
  }
}

/** Kinds whose queues live inside the process that runs them. */
const IN_PROCESS_KINDS: ReadonlySet<string> = new Set(['queue.driver.memory']);

/**
 * Says so when a queue lives in process memory: this command's process has
 * its own copy, empty at start and gone when it exits, so publishing there
 * reaches no running `actorq run`.
 */
export function noteInProcess(session: OpsSession, queue: QueueEntry, io: CliIo): void {
  const driver = session.driverEntryOf(queue);
  if (!IN_PROCESS_KINDS.has(driver.kind)) return;
  io.err(`note: ${queue.id} is on ${driver.id} (${driver.kind}): its messages live in the process that runs it; this command has its own, empty copy, gone when it exits`);
}

/**
 * The driver's admin tools, or `undefined` after saying that the driver
 * does not support `what` (the caller exits with {@link EXIT.unsupported}).
 */
export function adminOr(binding: QueueBinding, session: OpsSession, what: string, io: CliIo): QueueAdmin | undefined {
  if (binding.driver.admin) return binding.driver.admin;
  const driver = session.driverEntryOf(binding.entry);
  io.err(`${what} is not supported by this driver: ${binding.entry.id} is on ${driver.id} (${driver.kind}), which has no way to do it`);
  return undefined;
}

/** A whole number from an option value, within bounds; `undefined` if it is not one. */
export function countOption(value: unknown, min: number, max: number): number | undefined {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
}
