import { createActor, fromCallback, fromPromise, waitFor, type Actor } from 'xstate';
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
 */
export class ConnectionSupervisor {
  readonly #actor: Actor<typeof connectionMachine>;
  readonly #status = new Subject<DriverStatusEvent>();
  /** Connection events for the driver machine (see `Driver.status$`). */
  readonly status$: Observable<DriverStatusEvent> = this.#status.asObservable();

  constructor(hooks: ConnectionHooks, backoff: BackoffOptions, options: { id?: string } = {}) {
    const logic = connectionMachine.provide({
      actors: {
        connect: fromPromise<void, { attempt: number }>(({ input }) => hooks.connect(input.attempt)),
        watch: fromCallback<ConnectionEvent>(({ sendBack }) => hooks.watch((error) => sendBack({ type: 'connection.lost', error }))),
        disconnect: fromPromise<void>(() => hooks.disconnect()),
      },
      delays: {
        reconnectDelay: ({ context }) => backoffDelay(context.attempt, backoff),
      },
    });
    this.#actor = createActor(logic, { id: options.id });
    let previous = this.#actor.getSnapshot().value;
    this.#actor.subscribe((snapshot) => {
      const value = snapshot.value;
      if (value === previous) return;
      previous = value;
      if (value === 'connected') this.#status.next({ type: 'connected' });
      else if (value === 'reconnecting') this.#status.next({ type: 'reconnecting', attempt: snapshot.context.attempt, error: snapshot.context.lastError });
      else if (value === 'failed') this.#status.next({ type: 'failed', error: snapshot.context.lastError });
    });
    this.#actor.start();
  }

  /** Current state of the connection machine: `idle`, `connecting`, `connected`, `reconnecting`, `closing`, `closed` or `failed`. */
  get state(): string {
    return this.#actor.getSnapshot().value as string;
  }

  /** Last connection error, if any. */
  get lastError(): unknown {
    return this.#actor.getSnapshot().context.lastError;
  }

  /** Opens; resolves when connected, rejects with the connect error if the first attempt fails. */
  async open(): Promise<void> {
    this.#actor.send({ type: 'connection.open' });
    const snap = await waitFor(this.#actor, (s) => s.matches('connected') || s.matches('failed') || s.matches('closed'), { timeout: Infinity });
    if (!snap.matches('connected')) throw snap.context.lastError ?? new Error('connection closed while opening');
  }

  /** Resolves once connected, or rejects after `timeoutMs` (used by publishes during a reconnect). */
  async whenConnected(timeoutMs: number): Promise<void> {
    if (this.state === 'connected') return;
    await waitFor(this.#actor, (s) => s.matches('connected'), { timeout: timeoutMs });
  }

  /** Closes gracefully from any state; resolves when closed. Idempotent. */
  async close(): Promise<void> {
    this.#actor.send({ type: 'connection.close' });
    await waitFor(this.#actor, (s) => s.matches('closed'), { timeout: Infinity });
  }

  /** Stops the machine for good and completes `status$`. */
  dispose(): void {
    this.#actor.stop();
    this.#status.complete();
  }
}
