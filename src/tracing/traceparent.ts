/**
 * W3C Trace Context (`traceparent`) ids, made cheaply: no crypto and no
 * UUID per message. Trace ids only need to be unique enough to tell traces
 * apart (the spec asks for randomness, not secrecy), so `Math.random` is
 * enough here; an OpenTelemetry SDK in the handler continues the trace.
 */

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 8 random hex digits (32 bits). */
function hex8(): string {
  const n = (Math.random() * 0x100000000) >>> 0;
  return HEX[n >>> 24]! + HEX[(n >>> 16) & 0xff]! + HEX[(n >>> 8) & 0xff]! + HEX[n & 0xff]!;
}

/** A 32-hex-digit trace id, never all zeros (the spec's invalid value). */
export function newTraceId(): string {
  const id = hex8() + hex8() + hex8() + hex8();
  return id === '00000000000000000000000000000000' ? newTraceId() : id;
}

/** A 16-hex-digit span (parent) id, never all zeros. */
export function newSpanId(): string {
  const id = hex8() + hex8();
  return id === '0000000000000000' ? newSpanId() : id;
}

/**
 * A new `traceparent` header value: version 00, a fresh trace and span,
 * flags 01 (sampled).
 *
 * @example
 * ```ts
 * newTraceparent() // '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
 * ```
 */
export function newTraceparent(): string {
  return `00-${newTraceId()}-${newSpanId()}-01`;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The parts of a `traceparent` value. */
export interface TraceparentParts {
  readonly version: string;
  readonly traceId: string;
  readonly parentId: string;
  readonly flags: string;
}

/**
 * Parses a `traceparent` header; undefined when it is malformed or uses the
 * all-zero ids the spec forbids.
 *
 * @example
 * ```ts
 * parseTraceparent(ctx.message.headers.traceparent as string)?.traceId
 * ```
 */
export function parseTraceparent(value: unknown): TraceparentParts | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT.exec(value);
  if (!m || m[1] === 'ff' || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return undefined;
  return { version: m[1]!, traceId: m[2]!, parentId: m[3]!, flags: m[4]! };
}
