import { Deque } from '../util/deque.ts';
import type { WireRecord } from './stately-wire.ts';

/**
 * What the inspector bridge keeps so that a client connecting late can
 * build the whole actor tree: every actor's registration and latest
 * snapshot, then the recent history. Bounded in count and in bytes.
 *
 * A plain "last N events" ring is not enough: a start with
 * `concurrency: 100` produces thousands of events, and the registrations,
 * which come first, would be the first to go.
 */

/** Bounds of a {@link ReplayBuffer}. */
export interface ReplayLimits {
  /** Actors kept (live and stopped together). @default 10000 */
  readonly maxActors: number;
  /** Stopped actors kept so a late client sees how they ended. @default 256 */
  readonly maxStoppedActors: number;
  /** Recent events and snapshots kept, oldest dropped first. @default 2000 */
  readonly maxEvents: number;
  /** Bytes of everything kept together (registrations, snapshots, events). @default 16 MiB */
  readonly maxBytes: number;
}

/** Default {@link ReplayLimits}. */
export const DEFAULT_REPLAY_LIMITS: ReplayLimits = { maxActors: 10_000, maxStoppedActors: 256, maxEvents: 2_000, maxBytes: 16 * 1024 * 1024 };

interface Kept {
  readonly seq: number;
  readonly json: string;
  readonly bytes: number;
}

interface ActorEntry {
  readonly registration: Kept;
  latest: Kept | undefined;
  stopped: boolean;
}

interface RecentEntry extends Kept {
  readonly sessionId: string;
}

const keep = (seq: number, json: string): Kept => ({ seq, json, bytes: Buffer.byteLength(json) });

/**
 * The bridge's memory. `add` takes records in the order they happened;
 * `replay` returns what a new client should receive, in order:
 * registrations (parents before children), then the latest snapshot of
 * every actor whose history has left the recent ring, then the ring.
 *
 * When a bound is hit, the oldest recent events go first, then the oldest
 * stopped actors; a live actor is dropped (and counted in `dropped`) only
 * when live actors alone fill the byte budget.
 *
 * @example
 * ```ts
 * const buffer = new ReplayBuffer({ ...DEFAULT_REPLAY_LIMITS, maxEvents: 100 })
 * for (const r of wire.convert(event)) buffer.add(r)
 * for (const json of buffer.replay()) socket.send(json)
 * ```
 */
export class ReplayBuffer {
  readonly #limits: ReplayLimits;
  readonly #actors = new Map<string, ActorEntry>();
  readonly #stoppedOrder = new Deque<string>();
  readonly #recent = new Deque<RecentEntry>();
  #seq = 0;
  #bytes = 0;
  #dropped = 0;

  constructor(limits: Partial<ReplayLimits> = {}) {
    this.#limits = { ...DEFAULT_REPLAY_LIMITS, ...limits };
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Actors held now (live and stopped). */
  get actors(): number {
    return this.#actors.size;
  }

  /** Live actors that did not fit and are missing from replays. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Records one wire record. */
  add(record: WireRecord): void {
    const seq = ++this.#seq;
    if (record.kind === 'actor') return this.#register(record.sessionId, keep(seq, record.json));
    const entry = this.#actors.get(record.sessionId);
    // Events of actors that are not held could not be placed by a late client.
    if (!entry) return;
    const kept = keep(seq, record.json);
    if (record.kind === 'snapshot') {
      this.#bytes += kept.bytes - (entry.latest?.bytes ?? 0);
      entry.latest = kept;
      if (record.status !== 'active' && !entry.stopped) {
        entry.stopped = true;
        this.#stoppedOrder.push(record.sessionId);
      }
    }
    this.#recent.push({ ...kept, sessionId: record.sessionId });
    this.#bytes += kept.bytes;
    this.#enforce(record.sessionId);
  }

  /** What a client connecting now receives, in order. */
  replay(): string[] {
    const out: string[] = [];
    for (const entry of this.#actors.values()) out.push(entry.registration.json);
    const firstRecent = this.#recent.peek()?.seq ?? Infinity;
    const older = [...this.#actors.values()].flatMap((e) => (e.latest && e.latest.seq < firstRecent ? [e.latest] : [])).sort((a, b) => a.seq - b.seq);
    for (const kept of older) out.push(kept.json);
    for (const r of this.#recent) if (this.#actors.has(r.sessionId)) out.push(r.json);
    return out;
  }

  #register(sessionId: string, registration: Kept): void {
    if (this.#actors.size >= this.#limits.maxActors) this.#evictStopped();
    if (this.#actors.size >= this.#limits.maxActors) {
      this.#dropped++;
      return;
    }
    this.#actors.set(sessionId, { registration, latest: undefined, stopped: false });
    this.#bytes += registration.bytes;
    this.#enforce(sessionId);
  }

  /** Brings every bound back in range; `current` is dropped last. */
  #enforce(current: string): void {
    while (this.#recent.length > this.#limits.maxEvents) this.#dropRecent();
    while (this.#stoppedOrder.length > this.#limits.maxStoppedActors) this.#evictStopped();
    while (this.#bytes > this.#limits.maxBytes && this.#recent.length > 0) this.#dropRecent();
    while (this.#bytes > this.#limits.maxBytes && this.#stoppedOrder.length > 0) this.#evictStopped();
    if (this.#bytes > this.#limits.maxBytes && this.#actors.has(current)) {
      this.#removeActor(current);
      this.#dropped++;
    }
  }

  #dropRecent(): void {
    this.#bytes -= this.#recent.shift()!.bytes;
  }

  #evictStopped(): void {
    const sessionId = this.#stoppedOrder.shift();
    if (sessionId !== undefined) this.#removeActor(sessionId);
  }

  #removeActor(sessionId: string): void {
    const entry = this.#actors.get(sessionId);
    if (!entry) return;
    this.#actors.delete(sessionId);
    this.#bytes -= entry.registration.bytes + (entry.latest?.bytes ?? 0);
    // Its recent records stay until the ring moves on; replay() skips them.
  }
}
