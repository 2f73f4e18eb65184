import type { InspectionEvent, Observer } from 'xstate';

/** Keys whose values are message content; never shown to an inspector unless asked. */
const PAYLOAD_KEYS: ReadonlySet<string> = new Set(['body', 'headers', 'payload', 'message', 'messages']);

/** What replaces a payload in a sanitized event. */
export const REDACTED = '[redacted]';

/**
 * A copy of `value` with message content replaced by {@link REDACTED}
 * (keys `body`, `headers`, `payload`, `message`, `messages` at any depth),
 * errors reduced to their message (an error's text is status, not
 * payload), functions and actor refs dropped. Depth-limited, cycle-safe.
 *
 * @example
 * ```ts
 * sanitizePayloads({ type: 'x', body: { secret: 1 } }) // { type: 'x', body: '[redacted]' }
 * ```
 */
export function sanitizePayloads(value: unknown, depth = 8, seen = new WeakSet<object>()): unknown {
  return plainCopy(value, depth, seen, true);
}

/**
 * A JSON-safe copy of `value`: like {@link sanitizePayloads} (errors as
 * `{ name, message }`, actor refs as `[actor id]`, functions dropped,
 * depth-limited, cycle-safe), with payload keys redacted only when
 * `redact` is true. The inspector bridge serialises snapshots with it,
 * because a snapshot holds actor refs and cycles that `JSON.stringify`
 * would throw on.
 *
 * @example
 * ```ts
 * JSON.stringify(plainCopy(snapshot.context, 8, new WeakSet(), false))
 * ```
 */
export function plainCopy(value: unknown, depth: number, seen: WeakSet<object>, redact: boolean): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return value.toString();
    return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  }
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (depth <= 0 || seen.has(value)) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => plainCopy(v, depth - 1, seen, redact));
  if (typeof (value as { send?: unknown }).send === 'function' && 'sessionId' in value) return `[actor ${(value as { id?: string }).id ?? ''}]`;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (redact && PAYLOAD_KEYS.has(key) && v !== undefined && typeof v !== 'string') out[key] = REDACTED;
    else if (typeof v !== 'function') out[key] = plainCopy(v, depth - 1, seen, redact);
  }
  return out;
}

/** Options of {@link sanitizingObserver}. */
export interface SanitizeOptions {
  /** Pass events and contexts through untouched (`--inspect-payloads`). @default false */
  readonly payloads?: boolean;
}

type InspectObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/**
 * Wraps an XState inspection observer so that what it sees carries no
 * message content: the `event` of `@xstate.event`/`@xstate.snapshot` and
 * the snapshot `context` are replaced by sanitized copies (the runtime's
 * own objects are never mutated). With `payloads: true` it is the identity.
 *
 * Today no message ever becomes an XState event (the hot path is plain
 * code), so this is a guarantee for the future and for errors that quote
 * input, not a hot-path cost.
 *
 * @example
 * ```ts
 * const runtime = createRuntime({ files, inspect: sanitizingObserver((e) => log.push(e)) })
 * ```
 */
export function sanitizingObserver(observer: InspectObserver, options: SanitizeOptions = {}): Observer<InspectionEvent> {
  const next = typeof observer === 'function' ? observer : (e: InspectionEvent) => observer.next?.(e);
  if (options.payloads) return { next };
  return { next: (event) => next(sanitizeInspectionEvent(event)) };
}

/** One inspection event, payloads removed. See {@link sanitizingObserver}. */
export function sanitizeInspectionEvent(event: InspectionEvent): InspectionEvent {
  const copy: Record<string, unknown> = { ...event };
  if ('event' in event) copy['event'] = sanitizePayloads(event.event);
  if ('snapshot' in event && event.snapshot && typeof event.snapshot === 'object') {
    const snapshot = event.snapshot as { context?: unknown };
    copy['snapshot'] = 'context' in snapshot ? { ...snapshot, context: sanitizePayloads(snapshot.context) } : snapshot;
  }
  return copy as unknown as InspectionEvent;
}
