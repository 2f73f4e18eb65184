import { randomUUID } from 'node:crypto';
import { Subject, type Observable } from 'rxjs';
import type { Consumption, Delivery } from '../driver.ts';
import type { Headers } from '../../message/message.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { decodeEntry, encodeMessage, MalformedEntry } from './redis-codec.ts';
import type { RedisDelivery } from './redis-delivery.ts';
import type { QueueKeys } from './redis-keys.ts';
import type { QueueSettings, RedisDriver } from './redis-driver.ts';
import type { ScriptedRedis } from './redis-scripts.ts';
import { ConsumerHeartbeat } from './redis-heartbeat.ts';
import { ReadyWatch } from './redis-ready-watch.ts';
import { AckBatcher, type AckBatch } from './redis-ack-batcher.ts';
import { quarantine } from './redis-quarantine.ts';
import { checkedDelay } from './redis-publish.ts';

/**
 * Fetches one consumer keeps out at once. Two let Redis work on the next
 * batch while this process handles the current one.
 */
export const MAX_FETCHES_IN_FLIGHT = 2;

/** Where a consumption is in its life. `starting`: checking the queue exists and registering. */
type ConsumptionPhase = 'starting' | 'active' | 'cancelled';

/**
 * One consumer's subscription to a Redis queue.
 *
 * Fetching: one `aqFetch` script call moves up to the free credit from the
 * ready list into this consumer's processing hash and returns the
 * messages, after removing the acks collected so far (they ride on it).
 * Its credit is reserved when it goes out, so fetches in flight never ask
 * for more than was granted. Between fetches a {@link ReadyWatch} says
 * whether there may be more (no polling).
 *
 * Pipelining: credit coming back goes out at once as the next fetch while
 * fewer than {@link MAX_FETCHES_IN_FLIGHT} are out. With a pool returning
 * credit in halves of its window, Redis runs the script for the next half
 * while the handlers work through the rest of this one, instead of the two
 * taking turns. Redis runs the fetches in the order sent and the replies
 * come back in that order, so messages keep the queue's order.
 *
 * Turns: acks that no fetch took (no credit, queue empty, fetches out) go
 * once per event-loop turn, with a fetch when one can go, else alone (one
 * `HDEL`).
 *
 * Liveness: a heartbeat (`redis-heartbeat.ts`) keeps this consumer's claim
 * on what it holds. If a fetch reply is lost with the connection, the
 * messages it moved are unknown here: after the reconnect, anything in the
 * processing hash that was never handed out is released to the head.
 *
 * Foreign data: every fetched entry is decoded by a total function; one
 * that is not an actorq message is never handed out, and is moved to the
 * dead-letter queue or parked (see `redis-quarantine.ts`) while the rest of
 * its batch is delivered.
 */
export class RedisConsumption implements Consumption {
  readonly deliveries: Observable<readonly Delivery[]>;
  /** Unique member name in the holders/consumers sets and suffix of the processing hash. */
  readonly key: string;
  /** Backend name of the queue. */
  readonly queueName: string;
  readonly #driver: RedisDriver;
  readonly #keys: QueueKeys;
  readonly #proc: string;
  readonly #subject = new Subject<readonly Delivery[]>();
  readonly #acks: AckBatcher;
  /** Tokens handed out and not settled, or being set aside: what the processing hash should hold. */
  readonly #held = new Set<number>();
  /** Highest token this consumption received: the server must never issue it again (see `aqDeclare`). */
  #lastToken = 0;
  #settings: QueueSettings | undefined;
  #phase: ConsumptionPhase = 'starting';
  /** Credit granted and not yet reserved by a fetch. */
  #credit = 0;
  /** Fetches sent and not finished. */
  readonly #fetches = new Set<Promise<void>>();
  /** A turn (see {@link RedisConsumption.#turn}) is scheduled. */
  #turnQueued = false;
  readonly #ready = new ReadyWatch(() => this.#pump());
  /** A fetch failed without a reply: reconcile the processing hash before the next one. */
  #uncertain = false;
  readonly #heartbeat: ConsumerHeartbeat;
  /** Set once the consumption has left the queue's holders set for good. */
  #leaving: Promise<void> | undefined;

  constructor(driver: RedisDriver, queue: string, consumerId: string, keys: QueueKeys) {
    this.#driver = driver;
    this.queueName = queue;
    this.#keys = keys;
    this.key = `${consumerId}:${randomUUID()}`;
    this.#proc = keys.procPrefix + this.key;
    this.#acks = new AckBatcher(() => this.#schedule());
    this.#heartbeat = new ConsumerHeartbeat(driver, keys, this.key, () =>
      this.#phase === 'starting' || this.#leaving ? 'none' : this.#phase === 'active' ? 'attached' : 'holding',
    );
    this.deliveries = this.#subject.asObservable();
    void this.#start();
  }

  /** Messages handed out and not yet settled. */
  get holding(): number {
    return this.#held.size;
  }

  /** Highest processing-hash token received so far (0 before the first fetch). */
  get lastToken(): number {
    return this.#lastToken;
  }

  request(credit: number): void {
    if (this.#phase === 'cancelled' || credit <= 0) return;
    this.#credit += credit;
    // At once rather than in the turn: the handlers still running this
    // batch keep the process busy while Redis fetches the next.
    if (this.#canFetch()) this.#sendFetch(this.#acks.take());
    else this.#pump();
  }

  ack(delivery: Delivery): Promise<void> {
    const token = (delivery as RedisDelivery).token;
    this.#held.delete(token);
    const done = this.#acks.add(token);
    this.#maybeLeave();
    return done;
  }

  /** With `delayMs`, one script moves the message from this consumer into the delayed set (see `redis-lua-delay.ts`). */
  async requeue(delivery: Delivery, headers: Headers, delayMs?: number): Promise<void> {
    const d = delivery as RedisDelivery;
    const delay = checkedDelay(delayMs, `requeue of message ${d.id} on ${this.queueName}`);
    const payload = d.expiry + encodeMessage(d.id, headers, d.body);
    const k = this.#keys;
    await this.#driver.settle((c) => c.aqRequeue(this.#proc, k.ready, k.delayed, d.token, payload, k.notify, delay));
    this.#settled(d.token);
  }

  async deadLetter(delivery: Delivery, targetQueueName: string, headers: Headers): Promise<void> {
    const d = delivery as RedisDelivery;
    const t = this.#driver.keysOf(targetQueueName);
    const payload = encodeMessage(d.id, headers, d.body);
    const r = await this.#driver.settle((c) => c.aqDeadLetter(this.#proc, t.meta, t.ready, d.token, payload, t.notify));
    // The message stays held (and will be redelivered) rather than vanish.
    if (r === -1) throw new NotFoundError('queue', targetQueueName, `dead-letter target on driver ${this.#driver.id}`);
    this.#settled(d.token);
  }

  async release(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    const tokens = deliveries.map((d) => (d as RedisDelivery).token);
    await this.#releaseTokens(tokens);
    for (const t of tokens) this.#held.delete(t);
    this.#maybeLeave();
  }

  async cancel(): Promise<void> {
    if (this.#phase === 'cancelled') return;
    this.#phase = 'cancelled';
    this.#credit = 0;
    // Heartbeats go on while handed-out messages are settled (see #maybeLeave).
    this.#ready.stopRecheck();
    this.#subject.complete();
    // A fetch still in flight releases what it brings back (see #fetch).
    await Promise.all(this.#fetches);
    await this.#driver.settle((c) => c.zrem(this.#keys.consumers, this.key)).catch(() => {});
    this.#maybeLeave();
    await this.#leaving;
  }

  /** @internal Registers again on a fresh connection (see {@link ConsumerHeartbeat.register}). */
  register(cmd: ScriptedRedis): Promise<void> {
    return this.#heartbeat.register(cmd);
  }

  /** @internal Called by the driver after every (re)connect. */
  resume(): void {
    if (this.#phase !== 'active') return;
    this.#ready.maybeReady = true;
    void this.#heartbeat.beat();
    this.#pump();
  }

  /**
   * @internal Called by the driver when it stops: whatever is still held
   * goes back to the head of the queue, so nothing waits for a reaper.
   */
  async close(): Promise<void> {
    await this.cancel();
    this.#held.clear();
    this.#maybeLeave();
    await this.#leaving;
  }

  async #start(): Promise<void> {
    try {
      this.#settings = await this.#driver.settingsOf(this.queueName);
      const vt = this.#settings.visibilityTimeout;
      if (this.#phase === 'cancelled') return;
      this.#ready.listen(this.#driver.connection, this.#keys.notify);
      this.#phase = 'active';
      await this.#heartbeat.beat();
      this.#heartbeat.start(vt);
      this.#pump();
    } catch (e) {
      if (this.#phase === 'cancelled') return;
      this.#phase = 'cancelled';
      this.#stopTimers();
      this.#subject.error(e);
    }
  }

  /** Fetches (in this turn's {@link RedisConsumption.#turn}) if there is credit and maybe messages. */
  #pump(): void {
    this.#schedule();
  }

  #schedule(): void {
    if (this.#turnQueued) return;
    this.#turnQueued = true;
    setImmediate(this.#turn);
  }

  /** Sends this turn's acks, with a fetch when one can go, else on their own. */
  readonly #turn = (): void => {
    this.#turnQueued = false;
    const acks = this.#acks.take();
    if (this.#canFetch()) this.#sendFetch(acks);
    // Not connected: resume() pumps again; the acks wait for the connection in settle().
    else if (acks) this.#sendAcks(acks);
  };

  /**
   * Whether a fetch may go out now. After a fetch without a reply, only
   * when none is out: the check of the processing hash that comes first
   * must not take a batch still on its way here for a stray.
   */
  #canFetch(): boolean {
    const out = this.#fetches.size;
    return (
      this.#phase === 'active' &&
      out < MAX_FETCHES_IN_FLIGHT &&
      !(this.#uncertain && out > 0) &&
      this.#credit > 0 &&
      this.#ready.maybeReady &&
      this.#driver.connection.connected
    );
  }

  #sendFetch(acks: AckBatch | undefined): void {
    const fetch: Promise<void> = this.#fetch(acks)
      .catch((e: unknown) => {
        // Not expected (decoding is total, #fetch handles transport errors);
        // unhandled it would end the process. Retry after reconciling.
        this.#driver.logger.error('redis fetch failed', { driver: this.#driver.id, queue: this.queueName, error: e instanceof Error ? e.message : String(e) });
        this.#uncertain = true;
        this.#ready.maybeReady = false;
        this.#rearm();
      })
      .finally(() => {
        this.#fetches.delete(fetch);
        this.#pump();
      });
    this.#fetches.add(fetch);
  }

  /** Removes the acked tokens of `acks` on its way (the batch is settled either way). */
  async #fetch(acks: AckBatch | undefined): Promise<void> {
    if (this.#uncertain) {
      try {
        await this.#reconcile();
      } catch (e) {
        if (acks) this.#sendAcks(acks);
        throw e;
      }
    }
    const seq = this.#ready.fetching();
    const want = this.#credit;
    this.#credit = 0;
    const k = this.#keys;
    let reply: [number, string[], number];
    try {
      reply = await (acks
        ? this.#driver.connection.cmd.aqFetch(k.ready, this.#proc, k.meta, k.delayed, want, k.room, k.notify, ...acks.ranges())
        : this.#driver.connection.cmd.aqFetch(k.ready, this.#proc, k.meta, k.delayed, want, k.room, k.notify));
    } catch (e) {
      this.#unreserve(want);
      // Unknown whether the acks went with it: HDEL is idempotent, send them again.
      if (acks) this.#sendAcks(acks);
      if (this.#driver.isFatal(e)) {
        this.#phase = 'cancelled';
        this.#stopTimers();
        this.#subject.error(e);
      } else {
        // Unknown whether the script ran: reconcile once reconnected.
        this.#uncertain = true;
        this.#rearm();
      }
      return;
    }
    acks?.resolve();
    const [first, raws, wait] = reply;
    const n = raws.length;
    this.#unreserve(want - n);
    this.#ready.fetched(seq, n < want && this.#phase === 'active');
    if (this.#phase === 'active') this.#ready.due(wait);
    if (n === 0) return;
    if (first + n - 1 > this.#lastToken) this.#lastToken = first + n - 1;
    if (this.#phase !== 'active') {
      // Cancelled while the fetch was out: never handed to anyone, back to the head.
      await this.#releaseTokens(Array.from({ length: n }, (_, i) => first + i)).catch(() => {});
      return;
    }
    const batch: RedisDelivery[] = [];
    for (let i = 0; i < n; i++) {
      const d = decodeEntry(raws[i]!, first + i);
      this.#held.add(d.token);
      if (d instanceof MalformedEntry) this.#setAside(d);
      else batch.push(d);
    }
    // An entry set aside was never delivered: its credit is free again.
    this.#unreserve(n - batch.length);
    if (batch.length === 0) return;
    this.#subject.next(batch);
  }

  /** Credit a fetch reserved and did not deliver, back to the free credit (not once cancelled). */
  #unreserve(credit: number): void {
    if (this.#phase === 'active' && credit > 0) this.#credit += credit;
  }

  /** Moves an undecodable entry to the dead-letter queue or the parked list; it counts as held until then. */
  #setAside(entry: MalformedEntry): void {
    const source = { queue: this.queueName, keys: this.#keys, proc: this.#proc, settings: this.#settings! };
    void quarantine(this.#driver, source, entry).then(() => this.#settled(entry.token));
  }

  /**
   * Releases tokens in the processing hash that were never handed out (a
   * fetch whose reply was lost). An acked token is no stray: its ack may
   * still be on its way (sent again after the loss of a fetch it rode on),
   * and releasing it would deliver an acked message again.
   */
  async #reconcile(): Promise<void> {
    const present = await this.#driver.connection.cmd.hkeys(this.#proc);
    const acked = this.#acks.unconfirmed();
    const strays = present.map(Number).filter((t) => !this.#held.has(t) && !acked.has(t)).sort((a, b) => a - b);
    if (strays.length > 0) await this.#releaseTokens(strays);
    this.#uncertain = false;
  }

  /** Removes acked tokens with one `HDEL`, retried through reconnects (idempotent: a token is never issued twice). */
  #sendAcks(acks: AckBatch): void {
    const tokens = acks.tokens.map(String);
    this.#driver.settle((c) => c.hdel(this.#proc, ...tokens)).then(() => acks.resolve(), acks.reject);
  }

  #releaseTokens(tokens: readonly number[]): Promise<number> {
    const k = this.#keys;
    return this.#driver.settle((c) => c.aqRelease(this.#proc, k.ready, k.notify, ...tokens));
  }

  #rearm(): void {
    if (this.#phase === 'active') this.#ready.armRecheck();
  }

  #settled(token: number): void {
    this.#held.delete(token);
    this.#maybeLeave();
  }

  /** Once cancelled and holding nothing, leaves the holders set (returning any stray to the queue). */
  #maybeLeave(): void {
    if (this.#phase !== 'cancelled' || this.#held.size > 0 || this.#fetches.size > 0 || this.#leaving) return;
    // Heartbeats continued after cancel so that messages still being
    // handled kept their claim; nothing is held any more.
    this.#heartbeat.stop();
    this.#ready.close();
    const k = this.#keys;
    this.#leaving = this.#acks
      .flush()
      .catch(() => {})
      .then(() => this.#driver.settle((c) => c.aqLeave(k.holders, k.consumers, this.#proc, k.ready, k.notify, this.key)))
      .then(
        () => this.#driver.forget(this),
        () => this.#driver.forget(this),
      );
  }

  #stopTimers(): void {
    this.#heartbeat.stop();
    this.#ready.stopRecheck();
  }
}
