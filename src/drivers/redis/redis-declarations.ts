import { ReplyError } from 'ioredis';
import type { QueueDeclaration } from '../driver.ts';
import type { Logger } from '../../util/logger.ts';
import { redisQueueOptionsSchema } from './redis-kind.ts';
import type { QueueKeys } from './redis-keys.ts';
import type { ScriptedRedis } from './redis-scripts.ts';

/** What the declarations need from their driver. @internal */
export interface DeclarationHost {
  readonly id: string;
  readonly target: string;
  readonly logger: Logger;
  keysOf(queueName: string): QueueKeys;
  /** Highest processing-hash token this process handed out on a queue (0 if none). */
  lastTokenOf(queueName: string): number;
}

/**
 * The queues one Redis driver declared, and how they are written to
 * Redis. Redis holds a queue only as long as it holds its `meta` hash: a
 * server restarted without persistence, or a failover to an empty replica,
 * comes back without it. So the driver keeps every declaration and writes
 * them again where missing on each reconnect, and when a publish or an
 * `info()` finds its queue gone while the connection stayed up. @internal
 */
export class RedisDeclarations {
  readonly #host: DeclarationHost;
  readonly #queues = new Map<string, QueueDeclaration>();

  constructor(host: DeclarationHost) {
    this.#host = host;
  }

  /** The declaration of `queueName` made in this process, if any. */
  get(queueName: string): QueueDeclaration | undefined {
    return this.#queues.get(queueName);
  }

  /** Writes `queue` (the last declare wins) and remembers it. */
  async declare(cmd: ScriptedRedis, queue: QueueDeclaration): Promise<void> {
    await this.#write(cmd, queue, 'set');
    this.#queues.set(queue.name, queue);
  }

  /**
   * Runs on every (re)connect before the connection is used: declares again
   * every queue the server lacks. A queue whose `meta` Redis refuses (a key
   * of the wrong type, written over by another program) is logged and
   * skipped, so one damaged queue does not keep the others offline; a
   * connection error fails the connect, which the machine retries.
   */
  async restoreAll(cmd: ScriptedRedis): Promise<void> {
    await Promise.all(
      [...this.#queues.values()].map(async (q) => {
        try {
          await this.#restore(cmd, q);
        } catch (e) {
          if (!(e instanceof ReplyError)) throw e;
          this.#host.logger.error('redis refused to restore a queue', { driver: this.#host.id, queue: q.name, error: (e as Error).message });
        }
      }),
    );
  }

  /** Declares `queueName` again if this process declared it; false if it never did. */
  async restoreOne(cmd: ScriptedRedis, queueName: string): Promise<boolean> {
    const queue = this.#queues.get(queueName);
    if (!queue) return false;
    await this.#restore(cmd, queue);
    return true;
  }

  async #restore(cmd: ScriptedRedis, queue: QueueDeclaration): Promise<void> {
    if ((await this.#write(cmd, queue, 'restore')) === 1) {
      this.#host.logger.warn('redis queue was missing on the server; declared it again', { driver: this.#host.id, queue: queue.name, target: this.#host.target });
    }
  }

  /**
   * One `aqDeclare`, with a token floor above every token this process may
   * still settle: after the server lost the queue its counter restarts, and
   * a late ack of an old token must not remove a new message.
   */
  #write(cmd: ScriptedRedis, queue: QueueDeclaration, mode: 'set' | 'restore'): Promise<number> {
    const o = redisQueueOptionsSchema.parse(queue.options);
    const k = this.#host.keysOf(queue.name);
    return cmd.aqDeclare(
      k.meta,
      mode,
      this.#host.lastTokenOf(queue.name),
      'max_length', o.max_length ?? 0,
      'on_full', o.on_full,
      'visibility_timeout', o.visibility_timeout,
      'message_ttl', o.message_ttl ?? 0,
      'dead_letter', queue.deadLetterName ?? '',
    );
  }
}
