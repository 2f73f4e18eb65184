import { randomUUID } from 'node:crypto';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { typedAmqplib } from './typed-amqplib.ts';
import { goDurationMs, luaView, wippyDeclare, wippyDeliveryHeaders, wippyPublishing, type LuaHeaderValue, type WippyDriverFields } from './wippy-rules.ts';

/** One delivery as a Wippy service sees it. */
export interface WippyDelivery {
  /** `msg:id()`: the `message-id` property (empty when absent). */
  readonly id: string;
  /** The body decoded by the queue's codec (JSON), whatever the content type. */
  readonly body: unknown;
  /** The message's headers with their Go types (numbers as `{ '!': type, value }`). */
  readonly headers: Record<string, unknown>;
  /** `msg:headers()` in Lua: Go int/int64/float64 are numbers, every other type a string. */
  readonly lua: Record<string, unknown>;
  /** The AMQP properties as they arrived, header table with wire types. */
  readonly properties: Record<string, unknown>;
  /** The broker says it was delivered before. */
  readonly redelivered: boolean;
}

/** What a Wippy handler does with a delivery: ack (success) or nack (error: requeue, nothing counted). */
export type WippyOutcome = 'ack' | 'nack';

/**
 * A stand-in for a Wippy service on the same broker, written with plain
 * amqplib (a private copy that keeps the header table's wire types): it
 * declares, publishes and consumes exactly as Wippy's AMQP driver does
 * (see `wippy-rules.ts`), for the interop tests.
 */
export class WippyFixture {
  readonly #conn: ChannelModel;
  readonly #pub: ConfirmChannel;
  readonly #driver: WippyDriverFields;

  private constructor(conn: ChannelModel, pub: ConfirmChannel, driver: WippyDriverFields) {
    this.#conn = conn;
    this.#pub = pub;
    this.#driver = driver;
  }

  /** Connects with the driver fields of a Wippy `queue.driver.amqp` entry that matter here. */
  static async connect(url: string, driver: WippyDriverFields = {}): Promise<WippyFixture> {
    const conn = await typedAmqplib().connect(url);
    conn.on('error', () => undefined);
    const pub = await conn.createConfirmChannel();
    return new WippyFixture(conn, pub, driver);
  }

  async close(): Promise<void> {
    await this.#conn.close().catch(() => undefined);
  }

  /**
   * `DeclareQueue` for a queue entry whose `driver_options.amqp` is `amqpBag`
   * (as written in YAML). Rejects as Wippy's declare would (PRECONDITION_FAILED).
   */
  async declare(name: string, amqpBag: Readonly<Record<string, unknown>> = {}): Promise<void> {
    const d = wippyDeclare(amqpBag, this.#driver);
    const ch = await this.#conn.createChannel();
    ch.on('error', () => undefined);
    try {
      await ch.assertQueue(name, { durable: d.durable, autoDelete: d.autoDelete, exclusive: false, ...(d.arguments ? { arguments: d.arguments } : {}) });
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  /**
   * `queue.publish(queue, data, headers)` from Lua: `timestamp` (Unix
   * seconds) unless given, a UUID message ID, the JSON codec's body and
   * content type, headers mapped by `buildPublishing`. Resolves once the
   * broker confirmed it.
   */
  async publish(queue: string, body: unknown, headers: Readonly<Record<string, LuaHeaderValue>> = {}, id: string = randomUUID()): Promise<void> {
    const { properties, mandatory } = wippyPublishing(id, 'application/json', { timestamp: Math.floor(Date.now() / 1000), ...headers });
    // applyDefaultMessageTTL: the driver default when the message set none.
    const ttl = this.#driver.default_message_ttl ? goDurationMs(this.#driver.default_message_ttl) : undefined;
    if (ttl && ttl > 0 && properties['expiration'] === undefined) properties['expiration'] = String(ttl);
    await new Promise<void>((resolve, reject) => {
      this.#pub.publish('', queue, Buffer.from(JSON.stringify(body)), { ...properties, mandatory }, (err: unknown) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * Consumes `count` deliveries as a Wippy consumer with `prefetch` does
   * (`basic.qos prefetch`), each settled as `handler` says: ack, or nack
   * with requeue (Wippy counts nothing). Resolves with what was seen.
   */
  async consume(queue: string, count: number, handler: (d: WippyDelivery) => WippyOutcome = () => 'ack', timeoutMs = 10_000): Promise<WippyDelivery[]> {
    const ch = await this.#conn.createChannel();
    ch.on('error', () => undefined);
    // One at a time, and the consumer is cancelled before the last settle:
    // nothing beyond `count` is delivered, so nothing is handed back unseen
    // (on a quorum queue every return counts in x-delivery-count).
    await ch.prefetch(1);
    const seen: WippyDelivery[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`wippy fixture: ${seen.length} of ${count} deliveries from ${queue} within ${timeoutMs}ms`)), timeoutMs);
        let tag: Promise<string> | undefined;
        const settle = (msg: ConsumeMessage, outcome: WippyOutcome) => (outcome === 'ack' ? ch.ack(msg) : ch.nack(msg, false, true));
        tag = ch
          .consume(queue, (msg: ConsumeMessage | null) => {
            if (!msg || seen.length >= count) return;
            const d = toWippy(msg);
            seen.push(d);
            const outcome = handler(d);
            if (seen.length < count) return settle(msg, outcome);
            clearTimeout(timer);
            void tag!
              .then((t) => ch.cancel(t))
              .then(() => settle(msg, outcome))
              .then(resolve, reject);
          })
          .then((r) => r.consumerTag);
        tag.catch(reject);
      });
    } finally {
      // Closing hands anything delivered beyond `count` back to the queue.
      await ch.close().catch(() => undefined);
    }
    return seen;
  }
}

function toWippy(msg: ConsumeMessage): WippyDelivery {
  const properties = msg.properties as unknown as Record<string, unknown>;
  const headers = wippyDeliveryHeaders(properties, Math.floor(Date.now() / 1000));
  const lua: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers)) lua[k] = luaView(v);
  let body: unknown;
  try {
    body = JSON.parse(msg.content.toString('utf8'));
  } catch (e) {
    body = { undecodable: (e as Error).message };
  }
  const id = typeof properties['messageId'] === 'string' ? properties['messageId'] : '';
  return { id, body, headers, lua, properties, redelivered: msg.fields.redelivered };
}
