/**
 * Key and channel names of one queue. Every key of a queue shares the
 * `{queue}` hash tag so the single-queue scripts touch one slot (Redis
 * Cluster friendly); dead-lettering and reaping are the exceptions and are
 * documented as standalone-only.
 *
 * @example
 * ```ts
 * const k = queueKeys('actorq:', 'tasks')
 * k.ready // 'actorq:{tasks}:ready'
 * ```
 */
export interface QueueKeys {
  /** HASH: declaration (`max_length`, `on_full`, `visibility_timeout`, `message_ttl`, `dead_letter`) and the token counter `seq`. Its existence means "declared". */
  readonly meta: string;
  /** LIST of encoded messages, head = next to deliver. */
  readonly ready: string;
  /**
   * ZSET of messages waiting for a delay (delayed publish, retry backoff):
   * member `<15-digit tag>:<entry>`, score = due time (ms, Redis clock).
   * The fetch script moves due members to `ready`.
   */
  readonly delayed: string;
  /** ZSET consumer key -> last heartbeat (ms, Redis clock): everyone that may hold messages. */
  readonly holders: string;
  /** ZSET consumer key -> last heartbeat: consumers currently attached (for `consumer_count`). */
  readonly consumers: string;
  /** LIST of undecodable entries set aside when the queue has no dead-letter queue (see `info().parked`). */
  readonly parked: string;
  /** Prefix of the per-consumer processing HASH (token -> encoded message). */
  readonly procPrefix: string;
  /**
   * Pub/sub channel: the ready list went from empty to non-empty (message
   * `''`), or a delayed message became the queue's earliest (message: ms
   * until it is due).
   */
  readonly notify: string;
  /** Pub/sub channel: a fetch took messages from a full queue (room for waiting publishers). */
  readonly room: string;
  /** Glob matching every key of this queue (for cleanup). */
  readonly pattern: string;
}

/** Builds the {@link QueueKeys} of `queue` under `prefix`. */
export function queueKeys(prefix: string, queue: string): QueueKeys {
  const base = `${prefix}{${queue}}`;
  return {
    meta: `${base}:meta`,
    ready: `${base}:ready`,
    delayed: `${base}:delayed`,
    holders: `${base}:holders`,
    consumers: `${base}:consumers`,
    parked: `${base}:parked`,
    procPrefix: `${base}:proc:`,
    notify: `${base}:notify`,
    room: `${base}:room`,
    pattern: `${escapeGlob(base)}:*`,
  };
}

/** Escapes Redis glob metacharacters so a queue name matches only itself. */
function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
