import type { Message } from '../../message/message.ts';
import { Deque } from '../../util/deque.ts';
import { ChunkQueue } from '../../util/chunk-queue.ts';
import type { MemoryConsumption } from './memory-consumption.ts';

/**
 * A publish call waiting for room in a full queue, or a group of
 * single-message publishes waiting together (see {@link PublishWaiter.group}).
 */
export interface PublishWaiter {
  /** The call's messages; a group's grows as publishes join it. */
  readonly messages: readonly Message[];
  /** Index of the next message of `messages` not yet accepted. */
  next: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
  /** A delayed publish: admitted messages wait this long (ms, counted from admission); 0 = none. */
  readonly delayMs: number;
  /**
   * Set on a group of single-message publishes without options that found
   * the queue full: the one promise they all returned. A waiting publish
   * then costs an array slot instead of a promise, its two functions and a
   * waiter. A group is admitted whole (so its promise never stands for a
   * message left out) and takes members until it is admitted or holds
   * `GROUP_MESSAGES` of them (see the driver).
   */
  readonly group: Promise<void> | undefined;
}

/** Publish calls a waiter stands for: one, or each member of a group. */
export function callsOf(waiter: PublishWaiter): number {
  return waiter.group === undefined ? 1 : waiter.messages.length;
}

/**
 * One in-memory FIFO with its consumers and waiting publishers. The state
 * is plain data; {@link MemoryDriver} moves messages through it.
 */
export class MemoryQueue {
  readonly name: string;
  /** Bound on ready messages for publishers. Requeues and releases ignore it: they must never drop. */
  maxLength: number;
  /** Bound on waiting publish calls; one more is refused with `QueueFullError`. */
  maxWaiting: number;
  readonly ready = new ChunkQueue<Message>();
  /** Delivered to a consumer, not yet settled. */
  inFlight = 0;
  /** Waiting for a delay (kept in the driver's `MemoryDelays`), not yet ready. */
  delayed = 0;
  readonly consumers: MemoryConsumption[] = [];
  /** Round-robin cursor over `consumers`. */
  cursor = 0;
  readonly waiters = new Deque<PublishWaiter>();
  /** Publish calls waiting: what `max_waiting` bounds (a group counts each member). */
  waitingCalls = 0;
  pumpScheduled = false;
  /**
   * Runs the driver's pump for this queue: made once here so that
   * scheduling a pump queues this function as it is, with no closure per
   * pump.
   */
  readonly runPump: () => void;

  constructor(name: string, maxLength: number, maxWaiting: number, pump: (queue: MemoryQueue) => void) {
    this.name = name;
    this.maxLength = maxLength;
    this.maxWaiting = maxWaiting;
    this.runPump = () => pump(this);
  }

  /** Free places for publishers: `max_length` bounds the messages waiting, ready plus delayed. */
  get room(): number {
    return this.maxLength - this.ready.length - this.delayed;
  }
}
