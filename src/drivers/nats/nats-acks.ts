/**
 * The JetStream settle payloads, published to a delivery's ack subject.
 * `+ACK` removes a message from a work-queue stream; `+TERM` too, and also
 * stops redelivery and raises a `MSG_TERMINATED` advisory (used for
 * dead-letters and set-asides); `-NAK` asks for redelivery, after a delay
 * when it carries one; `+WPI` (work in progress) restarts the `ack_wait`
 * clock. `+TERM` goes without a reason: servers before 2.10 ignore a
 * `+TERM` with one. @internal
 */

const text = new TextEncoder();

/** `+ACK` */
export const ACK = text.encode('+ACK');
/** `+TERM` */
export const TERM = text.encode('+TERM');
/** `+WPI` */
export const WPI = text.encode('+WPI');
const NAK = text.encode('-NAK');

/** `-NAK`, or `-NAK {"delay":<ns>}` for a redelivery no sooner than `delayMs` from now. */
export function nakPayload(delayMs: number): Uint8Array {
  if (delayMs <= 0) return NAK;
  return text.encode(`-NAK ${JSON.stringify({ delay: Math.ceil(delayMs) * 1e6 })}`);
}
