import type { AnyActorRef, InspectionEvent } from 'xstate';
import { plainCopy } from './sanitize-inspection.ts';

/**
 * The records the Stately inspector page understands (`@xstate.actor`,
 * `@xstate.event`, `@xstate.snapshot`), built synchronously from XState's
 * inspection events so that nothing is lost between the runtime's last
 * transition and the bridge closing.
 *
 * XState reports `@xstate.actor` from the actor's constructor, before the
 * actor has its `systemId` or its first snapshot; a registration is
 * therefore held back until the next inspection event (or `flush()`), by
 * which time both exist and the record can name the actor by its registry
 * ID (`app:orders`, `app:orders#worker-0`).
 */

/** One record ready for the wire. */
export interface WireRecord {
  readonly kind: 'actor' | 'event' | 'snapshot';
  /** The actor the record is about. */
  readonly sessionId: string;
  /** The JSON text sent to clients. */
  readonly json: string;
  /** For snapshots: the actor's status (`active`, `done`, `error`, `stopped`). */
  readonly status?: string;
  /** For registrations: the actor's name (its `systemId`, else its id) and its root's session. */
  readonly name?: string;
  readonly rootId?: string;
}

/** Options of {@link createWireConverter}. */
export interface WireOptions {
  /** Keep message content in events and contexts. @default false */
  readonly payloads?: boolean;
  /** Depth past which values become `'[…]'`. @default 10 */
  readonly depth?: number;
  /** Largest record in bytes; past it the context/event is dropped from the record. @default 262144 */
  readonly maxRecordBytes?: number;
}

/** The protocol version the Stately inspector page checks for. */
const WIRE_VERSION = '0.7.2';

interface ActorLike {
  readonly sessionId: string;
  readonly id: string;
  readonly systemId?: string;
  readonly _parent?: { sessionId: string };
  readonly logic?: { config?: unknown };
  getSnapshot(): unknown;
}

/**
 * A converter from XState inspection events to {@link WireRecord}s.
 * `convert(event)` returns the records the event produces (zero, one, or
 * the held-back registrations followed by the event's own record);
 * `flush()` returns registrations still held back.
 *
 * @example
 * ```ts
 * const wire = createWireConverter()
 * createActor(machine, { inspect: (e) => wire.convert(e).forEach(send) })
 * ```
 */
export function createWireConverter(options: WireOptions = {}) {
  const redact = !options.payloads;
  const depth = options.depth ?? 10;
  const maxRecordBytes = options.maxRecordBytes ?? 256 * 1024;
  const definitions = new WeakMap<object, string>();
  let held: { ref: ActorLike; rootId: string }[] = [];

  const plain = (value: unknown) => plainCopy(value, depth, new WeakSet(), redact);

  const definitionOf = (ref: ActorLike, name: string): string => {
    const config = ref.logic?.config;
    if (!config || typeof config !== 'object') return JSON.stringify({ id: name });
    let text = definitions.get(config);
    if (text === undefined) {
      // Inline functions (guards, actions) are dropped; an initial context
      // written into the config is redacted like any other context.
      text = JSON.stringify(plainCopy(config, depth, new WeakSet(), redact) ?? { id: name });
      definitions.set(config, text);
    }
    return text;
  };

  /** The parts of a snapshot the page reads; never the machine object itself. */
  const snapshotOf = (snapshot: unknown): Record<string, unknown> => {
    if (!snapshot || typeof snapshot !== 'object') return { status: 'active' };
    const s = snapshot as Record<string, unknown>;
    const children = s['children'] && typeof s['children'] === 'object' ? Object.fromEntries(Object.entries(s['children'] as Record<string, AnyActorRef | undefined>).map(([key, child]) => [key, { xstate$$type: 1, id: child?.id ?? key }])) : undefined;
    return {
      status: s['status'] ?? 'active',
      value: plain(s['value']),
      context: plain(s['context']),
      children,
      output: plain(s['output']),
      error: plain(s['error']),
      tags: s['tags'] instanceof Set ? [...s['tags']] : plain(s['tags']),
    };
  };

  /**
   * JSON of a record. One that is larger than allowed keeps its identity
   * (type, session, state value, event type) and loses its bulk (context,
   * event fields, definition), with a note saying so.
   */
  const encode = (record: Record<string, unknown>): string => {
    const json = JSON.stringify(record);
    if (Buffer.byteLength(json) <= maxRecordBytes) return json;
    const note = `[dropped: record over ${maxRecordBytes} bytes]`;
    const snapshot = record['snapshot'] as Record<string, unknown> | undefined;
    const slim: Record<string, unknown> = { ...record };
    if (snapshot) slim['snapshot'] = { status: snapshot['status'], value: snapshot['value'], context: note };
    if ('event' in record) slim['event'] = { type: String((record['event'] as { type?: unknown } | undefined)?.type ?? ''), note };
    if ('definition' in record) slim['definition'] = JSON.stringify({ id: record['name'] });
    const smaller = JSON.stringify(slim);
    // A state value can itself be huge (deeply parallel machines): keep only the status then.
    return Buffer.byteLength(smaller) <= maxRecordBytes ? smaller : JSON.stringify({ ...slim, snapshot: snapshot ? { status: snapshot['status'], context: note } : undefined });
  };

  const registration = ({ ref, rootId }: { ref: ActorLike; rootId: string }): WireRecord => {
    const name = ref.systemId ?? ref.id;
    let snapshot: unknown;
    try {
      snapshot = ref.getSnapshot();
    } catch {
      snapshot = undefined; // not initialised yet: the first @xstate.snapshot follows
    }
    const json = encode({
      type: '@xstate.actor',
      name,
      sessionId: ref.sessionId,
      parentId: ref._parent?.sessionId,
      rootId,
      id: null,
      definition: definitionOf(ref, name),
      snapshot: snapshotOf(snapshot),
      createdAt: Date.now().toString(),
      _version: WIRE_VERSION,
    });
    return { kind: 'actor', sessionId: ref.sessionId, json, name, rootId };
  };

  const flush = (): WireRecord[] => {
    if (held.length === 0) return [];
    const out = held.map(registration);
    held = [];
    return out;
  };

  const convert = (event: InspectionEvent): WireRecord[] => {
    const ref = event.actorRef as unknown as ActorLike;
    if (event.type === '@xstate.actor') {
      const out = flush();
      held.push({ ref, rootId: event.rootId });
      return out;
    }
    if (event.type !== '@xstate.event' && event.type !== '@xstate.snapshot') return flush();
    const out = flush();
    const common = { sessionId: ref.sessionId, rootId: event.rootId, id: null, createdAt: Date.now().toString(), _version: WIRE_VERSION };
    if (event.type === '@xstate.event') {
      const source = event.sourceRef as unknown as ActorLike | undefined;
      out.push({ kind: 'event', sessionId: ref.sessionId, json: encode({ type: '@xstate.event', ...common, sourceId: source?.sessionId, event: plain(event.event) }) });
    } else {
      const snapshot = snapshotOf(event.snapshot);
      out.push({ kind: 'snapshot', sessionId: ref.sessionId, status: String(snapshot['status']), json: encode({ type: '@xstate.snapshot', ...common, event: plain(event.event), snapshot }) });
    }
    return out;
  };

  return { convert, flush };
}

/**
 * An `@xstate.event` record the bridge makes up itself, for an event the
 * actor never received: sampled message activity (`--inspect-messages`),
 * shown on the consumer's actor. `event` must already be sanitized.
 */
export function syntheticEventJson(target: { sessionId: string; rootId: string | undefined }, event: Record<string, unknown>): string {
  return JSON.stringify({ type: '@xstate.event', sessionId: target.sessionId, rootId: target.rootId, id: null, createdAt: Date.now().toString(), _version: WIRE_VERSION, event });
}

/** A converter made by {@link createWireConverter}. */
export type WireConverter = ReturnType<typeof createWireConverter>;
