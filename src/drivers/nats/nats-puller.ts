import { createInbox, type Msg, type Subscription } from '@nats-io/transport-node';
import type { Logger } from '../../util/logger.ts';
import type { NatsSession } from './nats-connection.ts';
import { presenceSubject, type QueuePlace } from './nats-names.ts';
import { readPullStatus } from './nats-pull-status.ts';

/** Pull requests wait this long on the server before ending with `408` (then the rest is asked again). */
const PULL_EXPIRES_MS = 30_000;
/** The server signals a waiting pull request this often; two missed in a row mean it is gone. */
export const PULL_HEARTBEAT_MS = 5_000;
/** Pause before asking again after the server turned a pull request away (`409`). */
const REFUSED_PULL_PAUSE_MS = 1_000;
/** Least pause between two attempts to re-create a lost consumer. */
const RECOVER_PAUSE_MS = 1_000;

/** What a puller serves. @internal */
export interface PullerHooks {
  readonly driverId: string;
  readonly logger: Logger;
  /** How many messages the consumption may still receive (its credit). */
  wanted(): number;
  /** A message with data (not a status) came on the inbox. */
  onData(msg: Msg): void;
  /** The session pulls may go out on now, if any. */
  liveSession(): NatsSession | undefined;
  /** Creates the queue's stream and consumer again when the server lost them. */
  restore(): Promise<void>;
}

/**
 * The pull-request side of a consumption: one inbox per connection, pull
 * requests that ask for exactly the credit not yet asked for, and the
 * reading of what the server says about them.
 *
 * It keeps `requested`, the messages asked for and not yet come: a message
 * lowers it by one, a `408` (a request's normal end) by the count it did
 * not deliver. The server turning requests away (`409`) holds pulls back a
 * moment; a deleted consumer (`409 Consumer Deleted`, `503`), or pull
 * requests gone silent (no heartbeat for two periods), have the stream and
 * consumer created again before asking anew. @internal
 */
export class NatsPuller {
  readonly #place: QueuePlace;
  readonly #hooks: PullerHooks;
  #session: NatsSession | undefined;
  #inbox = '';
  #sub: Subscription | undefined;
  #presence: Subscription | undefined;
  #requested = 0;
  /** Last time anything came on the inbox (`performance.now()`). */
  #lastHeard = 0;
  #pause: NodeJS.Timeout | undefined;
  #recovering: Promise<void> | undefined;
  #lastRecover = -Infinity;
  #stopped = false;

  constructor(place: QueuePlace, hooks: PullerHooks) {
    this.#place = place;
    this.#hooks = hooks;
  }

  /** The inbox the pull requests name. */
  get inbox(): string {
    return this.#inbox;
  }

  /**
   * Binds to a (new) connection: a fresh inbox, the presence responder (see
   * `nats-presence.ts`), and pull requests for the whole credit (those of
   * an old connection died with it). Idempotent per session.
   */
  attach(session: NatsSession): void {
    if (this.#stopped || this.#session === session) return;
    this.#session = session;
    this.#requested = 0;
    this.#inbox = createInbox();
    this.#sub = session.nc.subscribe(this.#inbox, { callback: (_err, msg) => this.#onMessage(session, msg) });
    this.#presence = session.nc.subscribe(presenceSubject(this.#place.stream), { callback: (_err, msg) => void msg.respond() });
    this.#lastHeard = performance.now();
    this.pull();
  }

  /** Asks for the credit not yet asked for, on the live connection. */
  pull(): void {
    const session = this.#session;
    const want = this.#hooks.wanted() - this.#requested;
    if (this.#stopped || !session || want <= 0 || this.#pause || session !== this.#hooks.liveSession()) return;
    this.#requested += want;
    const request = JSON.stringify({ batch: want, expires: PULL_EXPIRES_MS * 1e6, idle_heartbeat: PULL_HEARTBEAT_MS * 1e6 });
    try {
      session.nc.publish(this.#place.nextSubject, request, { reply: this.#inbox });
    } catch {
      // The connection just closed: the reconnect attaches again and asks anew.
      this.#requested -= want;
    }
  }

  /** Whether pull requests have been waiting without a sign of life for two heartbeat periods. */
  silent(now: number): boolean {
    return !this.#stopped && this.#requested > 0 && now - this.#lastHeard > 2 * PULL_HEARTBEAT_MS + 1_000;
  }

  /**
   * Stops pulling: the presence responder goes, and the inbox is drained
   * (whatever the server sent before it saw the unsubscribe still arrives,
   * at `onData`, before this resolves). Then one consumer-info request: the
   * server drops waiting pull requests without a subscriber when it builds
   * that answer, where nats-server 2.9 would otherwise still hand a
   * redelivery to one of them, to wait out `ack_wait` unseen.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#pause);
    const sub = this.#sub;
    this.#sub = undefined;
    this.#presence?.unsubscribe();
    this.#presence = undefined;
    if (!sub || sub.isClosed()) return;
    await sub.drain().catch(() => undefined);
    const session = this.#session;
    if (session && session === this.#hooks.liveSession()) {
      await session.jsm.consumers.info(this.#place.stream, this.#place.durable).catch(() => undefined);
    }
  }

  /** The stream or consumer may be gone: create them again if so, then ask anew. */
  recover(why: string): Promise<void> {
    if (this.#recovering || this.#stopped) return this.#recovering ?? Promise.resolve();
    const wait = Math.max(0, this.#lastRecover + RECOVER_PAUSE_MS - performance.now());
    const { logger, driverId } = this.#hooks;
    this.#recovering = (async () => {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
      this.#lastRecover = performance.now();
      logger.warn('nats: pull requests lost; checking the stream and consumer', { driver: driverId, queue: this.#place.queueId, why });
      try {
        await this.#hooks.restore();
      } catch (e) {
        logger.warn('nats: could not restore the stream and consumer; trying again later', {
          driver: driverId,
          queue: this.#place.queueId,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    })().finally(() => {
      this.#recovering = undefined;
      this.#requested = 0;
      this.#lastHeard = performance.now();
      this.pull();
    });
    return this.#recovering;
  }

  #onMessage(session: NatsSession, msg: Msg): void {
    if (session !== this.#session) return; // an old connection's leftovers: JetStream redelivers them
    this.#lastHeard = performance.now();
    const status = readPullStatus(msg);
    if (!status) {
      if (this.#requested > 0) this.#requested--;
      this.#hooks.onData(msg);
      return;
    }
    if (status.kind === 'heartbeat') return;
    if (status.kind === 'consumer-gone') {
      this.#requested = 0;
      void this.recover(status.description);
      return;
    }
    this.#requested = status.pending === undefined ? 0 : Math.max(0, this.#requested - status.pending);
    // 408 is a pull request's normal end; anything else (409 Exceeded MaxWaiting, ...) is the
    // server turning pulls away: asking again at once would only be turned away again.
    if (!status.description.startsWith('408')) this.#holdBack(status.description);
    this.pull();
  }

  #holdBack(why: string): void {
    if (this.#pause) return;
    this.#hooks.logger.warn('nats: the server turned a pull request away; asking again shortly', { driver: this.#hooks.driverId, queue: this.#place.queueId, status: why });
    this.#pause = setTimeout(() => {
      this.#pause = undefined;
      this.pull();
    }, REFUSED_PULL_PAUSE_MS);
    this.#pause.unref();
  }
}
