import { createActor, fromCallback, fromPromise, waitFor, type Actor, type AnyActorRef } from 'xstate';
import { Subject, type Observable } from 'rxjs';
import { connectionMachine, type ConnectionEvent } from '../../machines/connection.machine.ts';
import type { DriverStatusEvent } from './driver.ts';
import { backoffDelay, type BackoffOptions } from '../util/backoff.ts';

/** What an external driver plugs into the connection machine. */
export interface ConnectionHooks {
  /**
   * Opens the connection and restores everything on it: channels, declared
   * queues, attached consumers. `attempt` is 0 for a first connect.
   */
  connect(attempt: number): Promise<void>;
  /**
   * Watches the live connection; calls `lost(error)` once when it drops.
   * Returns a function that stops watching.
   */
  watch(lost: (error?: unknown) => void): () => void;
  /** Closes the connection gracefully. */
  disconnect(): Promise<void>;
}

/**
 * Runs the {@link connectionMachine} for one external driver: the only
 * place where that driver's connection state lives. The driver asks it to
 * open or close, reads `state` to decide whether a publish can go out now,
 * and exposes `status$` for the driver's lifecycle machine.
 *
 * Under a runtime, the connection actor is a child of the driver's actor
 * ({@link ConnectionSupervisor.adopt}), so it belongs to the runtime's actor
 * system and shows in the inspector as `<driver id>#connection`. The actor
 * is made on first use, so adoption before the first `open()` places it.
 */
export class ConnectionSupervisor {
  readonly #logic;
  readonly #status = new Subject<DriverStatusEvent>();
  readonly #id: string | undefined;
  #actor: Actor<typeof connectionMachine> | undefined;
  #parent: AnyActorRef | undefined;
  /** Connection events for the driver machine (see `Driver.status$`). */
  readonly status$: Observable<DriverStatusEvent> = this.#status.asObservable();

  constructor(hooks: ConnectionHooks, backoff: BackoffOptions, options: { id?: string } = {}) {
    this.#id = options.id;
    this.#logic = connectionMachine.provide({
      actors: {
        connect: fromPromise<void, { attempt: number }>(({ input }) => hooks.connect(input.attempt)),
        watch: fromCallback<ConnectionEvent>(({ sendBack }) => hooks.watch((error) => sendBack({ type: 'connection.lost', error }))),
        disconnect: fromPromise<void, void>(() => hooks.disconnect()),
      },
      delays: {
        reconnectDelay: ({ context }) => backoffDelay(context.attempt, backoff),
      },
    });
  }

  /**
   * Places the connection actor under `parent` (the driver's actor) with
   * system ID `systemId`. Takes effect for an actor not made yet, or one
   * that is idle or closed (it is made again under the parent).
   */
  adopt(parent: AnyActorRef, systemId: string): void {
    this.#parent = parent;
    this.#systemId = systemId;
    const actor = this.#actor;
    if (actor && (actor.getSnapshot().matches('idle') || actor.getSnapshot().matches('closed'))) {
      actor.stop();
      this.#actor = undefined;
    }
  }

  #systemId: string | undefined;

  #actorRef(): Actor<typeof connectionMachine> {
    if (this.#actor) return this.#actor;
    const actor = createActor(this.#logic, {
      id: this.#id,
      ...(this.#parent ? { parent: this.#parent, systemId: this.#systemId } : {}),
    });
    let previous = actor.getSnapshot().value;
    actor.subscribe({
      next: (snapshot) => {
        const value = snapshot.value;
        if (value === previous) return;
        previous = value;
        if (value === 'connected') this.#status.next({ type: 'connected' });
        else if (value === 'reconnecting') this.#status.next({ type: 'reconnecting', attempt: snapshot.context.attempt, error: snapshot.context.lastError });
        else if (value === 'failed') this.#status.next({ type: 'failed', error: snapshot.context.lastError });
      },
      error: () => {},
    });
    actor.start();
    this.#actor = actor;
    return actor;
  }

  /** Current state of the connection machine: `idle`, `connecting`, `connected`, `reconnecting`, `closing`, `closed` or `failed`. */
  get state(): string {
    return (this.#actor?.getSnapshot().value as string | undefined) ?? 'idle';
  }

  /** Last connection error, if any. */
  get lastError(): unknown {
    return this.#actor?.getSnapshot().context.lastError;
  }

  /** Opens; resolves when connected, rejects with the connect error if the first attempt fails. */
  async open(): Promise<void> {
    const actor = this.#actorRef();
    actor.send({ type: 'connection.open' });
    // Bounded by the machine: a first connect either succeeds or ends in `failed`.
    const snap = await waitFor(actor, (s) => s.matches('connected') || s.matches('failed') || s.matches('closed'), { timeout: Infinity });
    if (!snap.matches('connected')) throw snap.context.lastError ?? new Error('connection closed while opening');
  }

  /** Resolves once connected, or rejects after `timeoutMs` (used by publishes during a reconnect). */
  async whenConnected(timeoutMs: number): Promise<void> {
    if (this.state === 'connected') return;
    await waitFor(this.#actorRef(), (s) => s.matches('connected'), { timeout: timeoutMs });
  }

  /** Closes gracefully from any state; resolves when closed. Idempotent. */
  async close(): Promise<void> {
    const actor = this.#actorRef();
    actor.send({ type: 'connection.close' });
    // Bounded by the machine: `closing` ends in `closed` whether disconnect succeeds or fails.
    await waitFor(actor, (s) => s.matches('closed'), { timeout: Infinity });
  }

  /** Stops the machine for good and completes `status$`. */
  dispose(): void {
    this.#actor?.stop();
    this.#status.complete();
  }
}
