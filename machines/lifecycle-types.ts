import { fromPromise, type PromiseActorLogic } from 'xstate';

/**
 * Shapes shared by the lifecycle machines (driver, consumer). Plain data
 * only, so snapshots serialise for the inspector and the visualiser.
 */

/** Restart backoff as in a registry entry's `lifecycle.restart` (ms). */
export interface RestartSettings {
  initial_delay: number;
  max_delay: number;
  backoff_factor: number;
  jitter: number;
  /** 0 = unlimited. */
  max_attempts: number;
}

/** Input of a supervised entry's machine. */
export interface ServiceInput {
  /** Registry ID, also the actor's `systemId`. */
  id: string;
  start_timeout: number;
  stop_timeout: number;
  restart: RestartSettings;
}

/** Context of a supervised entry's machine. */
export interface ServiceContext extends ServiceInput {
  /** Failed starts since the last successful one. */
  attempts: number;
  /** Message of the last failure, if any. */
  error: string | undefined;
  /** Whether the last stop hit `stop_timeout`. */
  stopTimedOut: boolean;
}

/** Builds the initial {@link ServiceContext} from input. */
export function serviceContext(input: ServiceInput): ServiceContext {
  return { ...input, attempts: 0, error: undefined, stopTimedOut: false };
}

/** Message of an unknown error value, for context (errors themselves do not serialise). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
}

/**
 * The `error` of an `xstate.error.actor.*` event (or a `*.fail` event).
 * Named actions in `setup()` are typed with the machine's own events, which
 * do not list XState's done/error events; this reads the field plainly.
 */
export function eventError(event: unknown): unknown {
  return (event as { error?: unknown }).error;
}

/** Whether the restart policy allows another attempt after `attempts` failures. */
export function mayRestart(context: ServiceContext): boolean {
  return context.restart.max_attempts === 0 || context.attempts < context.restart.max_attempts;
}

/**
 * Backoff before restart number `attempts`, without jitter (the runtime
 * provides a jittered version; this default keeps the machine pure).
 */
export function restartBackoff(context: ServiceContext): number {
  const r = context.restart;
  return Math.min(r.max_delay, r.initial_delay * r.backoff_factor ** Math.max(0, context.attempts - 1));
}

/**
 * Stub logic for an actor the runtime must provide with `.provide()`. It
 * rejects naming itself, so a machine run without its implementation fails
 * where the wiring is missing instead of quietly succeeding.
 */
export function notProvided<TOutput, TInput>(name: string): PromiseActorLogic<TOutput, TInput> {
  return fromPromise<TOutput, TInput>(async () => {
    throw new Error(`not provided: ${name}`);
  });
}

/** Stub action for one the runtime must provide: throws naming itself. */
export function actionNotProvided(name: string): () => void {
  return () => {
    throw new Error(`not provided: ${name}`);
  };
}
