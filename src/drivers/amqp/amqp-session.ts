import { connect, type Channel, type ChannelModel, type Replies } from 'amqplib';
import type { ConnectArgs } from './connect-options.ts';
import { ConfirmPublisher } from './confirm-publisher.ts';
import { isChannelClosedError, isNotFound } from './amqp-errors.ts';

/**
 * One AMQP connection and the channels the driver itself uses on it: a
 * confirm channel for publishes and an "ops" channel for declares and
 * queue checks. A reconnect makes a new session; objects bound to an old
 * one (consumer channels, deliveries) see it as lost and stop acting.
 *
 * The session records that it was lost (a fact about this socket, not the
 * driver's state: the connection machine owns that) so that a loss that
 * happens before the machine starts watching is not missed.
 *
 * @internal
 */
export class AmqpSession {
  /** Increases with each connection the driver opens. */
  readonly generation: number;
  readonly connection: ChannelModel;
  readonly publisher: ConfirmPublisher;
  #ops: Promise<Channel> | undefined;
  #lost: { error: unknown } | undefined;
  #onLost = new Set<(error: unknown) => void>();

  private constructor(generation: number, connection: ChannelModel, publisher: ConfirmPublisher) {
    this.generation = generation;
    this.connection = connection;
    this.publisher = publisher;
    connection.on('error', () => undefined); // 'close' follows with the error; an unheard 'error' would throw
    connection.on('close', (error?: Error) => this.#markLost(error ?? new Error('connection closed')));
    // The confirm channel only closes by itself on a broker error; without it
    // nothing can be published, so it counts as losing the connection.
    publisher.channel.on('close', () => this.#markLost(new Error('publish channel closed')));
  }

  /** Connects and opens the publish channel. */
  static async open(args: ConnectArgs, generation: number): Promise<AmqpSession> {
    const connection = await connect(args.url, args.socket);
    try {
      const channel = await connection.createConfirmChannel();
      return new AmqpSession(generation, connection, new ConfirmPublisher(channel));
    } catch (e) {
      await connection.close().catch(() => undefined);
      throw e;
    }
  }

  /** Whether this connection is gone (closed by either side). */
  get lost(): boolean {
    return this.#lost !== undefined;
  }

  /** Calls `listener` once when the connection is lost (at once if it already is). Returns an unsubscribe function. */
  onLost(listener: (error: unknown) => void): () => void {
    if (this.#lost) {
      listener(this.#lost.error);
      return () => undefined;
    }
    this.#onLost.add(listener);
    return () => this.#onLost.delete(listener);
  }

  /** `queue.declare`; a 406 (arguments differ) is rethrown for the caller to explain. */
  assertQueue(name: string, args: { durable: boolean; autoDelete: boolean; arguments: Record<string, unknown> }): Promise<Replies.AssertQueue> {
    return this.#withOps((ch) => ch.assertQueue(name, args));
  }

  /** Passive `queue.declare`: message and consumer counts. A 404 means the queue is gone. */
  checkQueue(name: string): Promise<Replies.AssertQueue> {
    return this.#withOps((ch) => ch.checkQueue(name));
  }

  /**
   * Messages ready in a queue that may not exist (0 if it does not), on a
   * channel of its own: the broker closes the channel that asks about a
   * missing queue, and the shared ops channel must not go down with it.
   */
  async messageCountIfExists(name: string): Promise<number> {
    const channel = await this.connection.createChannel();
    channel.on('error', () => undefined);
    try {
      return (await channel.checkQueue(name)).messageCount;
    } catch (e) {
      if (isNotFound(e)) return 0;
      throw e;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /**
   * Ready messages of several queues, `undefined` for one that does not
   * exist. One channel of its own, opened again after each missing queue
   * (the broker closes the channel that asks about one).
   */
  async messageCounts(names: readonly string[]): Promise<(number | undefined)[]> {
    const counts: (number | undefined)[] = [];
    let channel: Channel | undefined;
    try {
      for (const name of names) {
        if (!channel) {
          channel = await this.connection.createChannel();
          channel.on('error', () => undefined);
        }
        try {
          counts.push((await channel.checkQueue(name)).messageCount);
        } catch (e) {
          if (!isNotFound(e)) throw e;
          counts.push(undefined);
          channel = undefined;
        }
      }
    } finally {
      await channel?.close().catch(() => undefined);
    }
    return counts;
  }

  /** Deletes a queue (tests and tools). */
  deleteQueue(name: string): Promise<Replies.DeleteQueue> {
    return this.#withOps((ch) => ch.deleteQueue(name));
  }

  /** Opens a plain channel for a consumer. */
  createChannel(): Promise<Channel> {
    return this.connection.createChannel();
  }

  /**
   * Closes the connection: first waits (at most `confirmWaitMs`) for
   * outstanding publisher confirms so that publishes in flight get an
   * answer, then closes; the broker returns unacked deliveries to their queues.
   */
  async close(confirmWaitMs = 1000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.publisher.settled(), new Promise<void>((r) => (timer = setTimeout(r, confirmWaitMs)))]);
    clearTimeout(timer);
    await this.connection.close().catch(() => undefined);
  }

  /**
   * Runs an RPC on the ops channel. A channel error (404, 406) closes the
   * channel, so the next call opens a fresh one; a call that failed only
   * because another call's error closed the shared channel is retried once.
   */
  async #withOps<T>(rpc: (ch: Channel) => Promise<T>, retried = false): Promise<T> {
    const channel = await this.#opsChannel();
    try {
      return await rpc(channel);
    } catch (e) {
      if (!retried && !this.lost && isChannelClosedError(e)) return this.#withOps(rpc, true);
      throw e;
    }
  }

  #opsChannel(): Promise<Channel> {
    if (!this.#ops) {
      const opening = this.connection.createChannel().then((ch) => {
        ch.on('error', () => undefined);
        ch.on('close', () => {
          if (this.#ops === opening) this.#ops = undefined;
        });
        return ch;
      });
      opening.catch(() => {
        if (this.#ops === opening) this.#ops = undefined;
      });
      this.#ops = opening;
    }
    return this.#ops;
  }

  #markLost(error: unknown): void {
    if (this.#lost) return;
    this.#lost = { error };
    const listeners = [...this.#onLost];
    this.#onLost.clear();
    for (const l of listeners) l(error);
  }
}
