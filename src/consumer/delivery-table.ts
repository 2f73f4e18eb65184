import { deliveryMachine, type DeliveryEvent } from '../../machines/delivery.machine.ts';

/** States of {@link deliveryMachine}, as small integers for the hot path. */
export const DeliveryState = {
  received: 0,
  processing: 1,
  acked: 2,
  nacked: 3,
  released: 4,
  timedOut: 5,
  done: 6,
} as const;
/** One of {@link DeliveryState}'s values. */
export type DeliveryStateId = (typeof DeliveryState)[keyof typeof DeliveryState];

/** Events of {@link deliveryMachine}, as small integers. */
export const DeliveryEventId = {
  'message.start': 0,
  'message.ack': 1,
  'message.nack': 2,
  'message.release': 3,
  'message.return': 4,
  'message.fail': 5,
  'message.timeout': 6,
} as const satisfies Record<DeliveryEvent['type'], number>;

/** The settle a transition performs, as small integers. */
export const SettleAction = {
  none: 0,
  settleAck: 1,
  settleNack: 2,
  settleRelease: 3,
} as const;

/** State names by id, for errors and inspection. */
export const DELIVERY_STATE_NAMES: readonly string[] = Object.keys(DeliveryState);
/** Number of delivery events: the row width of {@link DELIVERY_TABLE}. */
export const DELIVERY_EVENT_COUNT = Object.keys(DeliveryEventId).length;
const EVENT_COUNT = DELIVERY_EVENT_COUNT;

/** "No transition" in {@link DELIVERY_TABLE}. */
export const NO_TRANSITION = -1;

/**
 * `DELIVERY_TABLE[state * EVENT_COUNT + event]` is the next state, or
 * {@link NO_TRANSITION}; `SETTLE_TABLE` at the same index is the
 * {@link SettleAction} the transition performs. Both are read from the
 * delivery machine's definition at start-up, so the machine stays the one
 * place the rules are written; a test checks every cell against XState's
 * own transition function.
 */
export const DELIVERY_TABLE: Int8Array = new Int8Array(DELIVERY_STATE_NAMES.length * EVENT_COUNT).fill(NO_TRANSITION);
/** See {@link DELIVERY_TABLE}. */
export const SETTLE_TABLE: Int8Array = new Int8Array(DELIVERY_STATE_NAMES.length * EVENT_COUNT);

for (const [stateName, node] of Object.entries(deliveryMachine.root.states)) {
  const from = DeliveryState[stateName as keyof typeof DeliveryState];
  if (from === undefined) throw new Error(`delivery machine state "${stateName}" has no id in DeliveryState`);
  for (const [eventType, transitions] of node.transitions) {
    const event = DeliveryEventId[eventType as keyof typeof DeliveryEventId];
    const transition = transitions[0];
    const target = transition?.target?.[0];
    if (event === undefined || !target) continue;
    const cell = from * EVENT_COUNT + event;
    DELIVERY_TABLE[cell] = DeliveryState[target.key as keyof typeof DeliveryState];
    const names = (transition.actions ?? []).map((a) => (typeof a === 'string' ? a : (a as { type?: string }).type));
    const action = names.find((n): n is keyof typeof SettleAction => n !== undefined && n in SettleAction);
    SETTLE_TABLE[cell] = action ? SettleAction[action] : SettleAction.none;
  }
}

/** Next state for `event` in `state`, or {@link NO_TRANSITION}. */
export function nextDeliveryState(state: number, event: number): number {
  return DELIVERY_TABLE[state * EVENT_COUNT + event]!;
}
