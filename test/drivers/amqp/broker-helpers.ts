import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { AmqpDriver } from '../../../src/drivers/amqp/amqp-driver.ts';
import { amqpDriverSchema } from '../../../src/drivers/amqp/amqp-options.ts';
import { delayLevel, delayQueueName } from '../../../src/drivers/amqp/delay-ladder.ts';

const run = promisify(execFile);

/** The test broker (loopback RabbitMQ). */
export const AMQP_URL = process.env['ACTORQ_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672/';

/** A driver ID unique to this test, also its connection name on the broker. */
export function uniqueDriverId(label = 'amqp'): string {
  return `test:${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A not-yet-started driver on the test broker with fast reconnects, options overridable. */
export function makeDriver(overrides: Record<string, unknown> = {}, id = uniqueDriverId()): AmqpDriver {
  const options = amqpDriverSchema.parse({ url: AMQP_URL, reconnect_delay: 100, reconnect_max_delay: 500, ...overrides });
  return new AmqpDriver(id, options);
}

/** Deletes a queue on the broker, ignoring errors (tests clean up after themselves). */
export async function destroyQueue(name: string): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    await ch.deleteQueue(name);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Every delay level up to `maxMs` (the driver's ladder, see `delay-ladder.ts`). */
export function delayLevelsUpTo(maxMs: number): number[] {
  const levels: number[] = [];
  for (let level = 1; level <= maxMs; level = delayLevel(level + 1)) levels.push(level);
  return levels;
}

/**
 * Deletes a queue and every delay queue the driver may have made for it
 * with a delay up to `maxDelayMs` (deleting a queue that does not exist is
 * not an error in RabbitMQ). Longer ones would go by themselves (`x-expires`).
 */
export async function destroyQueueAndDelays(name: string, maxDelayMs = 60_000): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    // Replies on one channel come one at a time: spread the deletes over a few.
    const channels = await Promise.all([1, 2, 3, 4].map(() => conn.createChannel()));
    await channels[0]!.deleteQueue(name);
    await Promise.all(delayLevelsUpTo(maxDelayMs).map((level, i) => channels[i % channels.length]!.deleteQueue(delayQueueName(name, level))));
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Publishes raw messages with amqplib (no driver), e.g. to test decoding. */
export async function withRawChannel<T>(fn: (ch: amqp.ConfirmChannel) => Promise<T>): Promise<T> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    return await fn(await conn.createConfirmChannel());
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/**
 * Closes, from the broker side, every connection whose client-provided
 * name is `connectionName` (the driver ID), with `rabbitmqctl close_connection`.
 * Targeted rather than `close_all_connections`, so other suites running
 * against the same broker are not disturbed. Returns how many were closed.
 */
export async function closeBrokerConnections(connectionName: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '-q', '--no-table-headers']);
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(`{"connection_name","${connectionName}"}`))
    .map((line) => line.split('\t')[0]!.trim())
    .filter((pid) => pid.startsWith('<'));
  for (const pid of pids) await run('rabbitmqctl', ['close_connection', pid, 'actorq test: broker-side drop']);
  return pids.length;
}

/** Message and consumer counts as the broker reports them (`rabbitmqctl list_queues`). */
export async function brokerQueueCounts(name: string): Promise<{ messages: number; consumers: number } | undefined> {
  const { stdout } = await run('rabbitmqctl', ['list_queues', 'name', 'messages', 'consumers', '-q', '--no-table-headers']);
  for (const line of stdout.split('\n')) {
    const [n, messages, consumers] = line.split('\t');
    if (n === name) return { messages: Number(messages), consumers: Number(consumers) };
  }
  return undefined;
}
