import { CONSUMER_LIMITS, MESSAGE_SIZE_LIMITS } from './entry-schemas.ts';
import { CONSUMER_KIND, QUEUE_KIND } from './registry.ts';

/**
 * The words of the registry JSON Schema that the zod schemas do not carry
 * as TSDoc: the file's and an entry's frame, core fields, and fields of
 * built-in kinds without a comment of their own. Read by `json-schema.ts`;
 * a TSDoc comment on a field, when there is one, wins. @internal
 */

/** Descriptions of what is not a zod schema (the file's and an entry's frame) and of core fields without TSDoc. */
export const CORE_NOTES: Readonly<Record<string, string>> = {
  namespace: 'Namespace of every entry in this file: an entry `name` is referred to as `namespace:name`.',
  version: 'Version of the file format, kept for Wippy compatibility; not interpreted.',
  fileMeta: 'Free-form data about the file; not interpreted.',
  entries: 'The drivers, queues, consumers and functions this file declares.',
  name: 'Entry name, unique in the namespace; other entries refer to it as `namespace:name`.',
  kind: 'What the entry is: `queue.queue`, `queue.consumer`, `security.policy`, a `queue.driver.*` or a `function.*` kind.',
  meta: 'Free-form data about the entry (labels, comments); kept on the entry, not interpreted.',
  duration: 'A duration: a number of milliseconds, or a string such as "500ms", "10s", "1m30s", "1.5h" (units ns, us, ms, s, m, h).',
};

/** Core fields of queues and consumers, which the schemas do not describe in TSDoc. */
export const ENTRY_NOTES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  [QUEUE_KIND]: {
    driver: 'ID (`namespace:name`) of the `queue.driver.*` entry that holds this queue.',
    queue_name: 'Name of the queue in the backend. Default: the entry name.',
    codec: 'Message encoding: `json`, or its Wippy alias `json/plain`; bodies are decoded by it whatever their content type.',
    driver_options: 'Backend settings of the queue, one section per driver kind (`memory`, `redis`, `amqp`, ...). Sections of other drivers than the current one are checked too.',
    options: 'Legacy spelling of the current driver\'s `driver_options` section; give one of them, not both.',
    dead_letter: 'Where a message goes after too many failed deliveries.',
    retry: 'Backoff between deliveries of a nacked message; absent means it is delivered again at once.',
    max_message_size: `Largest message \`publish\` accepts: bytes of JSON body plus JSON headers, ${MESSAGE_SIZE_LIMITS.min} to ${MESSAGE_SIZE_LIMITS.max}.`,
    lifecycle: 'Start, stop and restart rules of the entry.',
  },
  [CONSUMER_KIND]: {
    queue: 'ID of the `queue.queue` entry to consume.',
    func: 'ID of the function that handles each message: a `function.*` entry, or a handler given in code.',
    concurrency: `Workers handling messages at the same time; 0 or less means the default. At most ${CONSUMER_LIMITS.concurrency.max}.`,
    prefetch: `Messages buffered for the workers beyond those in flight; 0 or less means the default. At most ${CONSUMER_LIMITS.prefetch.max}.`,
    timeout: 'Time limit of one handler call; 0 or absent means none. A call past it is aborted and its message nacked: never before the limit, and at most two checks after it (one every eighth of the limit, 10 ms to 1 s apart).',
    auto_ack: 'true = ack on hand-over, before the handler runs (at-most-once). Supported by the AMQP driver; other drivers refuse it when the consumer starts.',
    driver_options: 'Consumer settings per driver kind; accepted for Wippy compatibility.',
    lifecycle: 'Start, stop and restart rules of the entry.',
  },
};

/** Fields of built-in kinds whose schemas carry no TSDoc of their own (TSDoc, when added, wins). */
export const KIND_FIELD_NOTES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'queue.driver.redis': {
    host: 'Redis host, instead of `url`.',
    port: 'Redis port, with `host`. Default: 6379.',
    username: 'ACL user name; wins over the one in `url`.',
    password: 'Password; wins over the one in `url`.',
    db: 'Database number; wins over the one in `url`.',
  },
  'queue.driver.amqp': {
    url: 'Broker URL, `amqp://user:password@host:port/vhost` or `amqps://...` (TLS).',
    connection_timeout: 'How long one connect attempt (TCP, TLS and the AMQP handshake) may take.',
    reconnect_delay: 'First wait before reconnecting after a lost connection.',
    reconnect_max_delay: 'Reconnect waits grow up to this.',
    publish_timeout: 'How long a publish (or `info`) waits for a connection being re-established before failing with a retryable error.',
    tls: 'TLS settings; PEM values as text, a `file://` URL, a path, or the name of an environment variable (`*_env`).',
  },
  'queue.driver.nats': {
    user: 'User name, with `password`.',
    password: 'Password, with `user`.',
    token: 'Authentication token.',
  },
  'queue.driver.sqs': {
    secret_access_key: 'With `access_key_id`: static credentials.',
  },
  'function.js': {
    source: 'The module: a `file://` URL relative to this YAML file (`.js`, `.mjs`, `.cjs`; `.ts` with tsx installed).',
    method: 'Named export that is the handler. Default: the default export.',
  },
};

/** Descriptions of the shared blocks (lifecycle, restart, retry, dead_letter), by their field names. */
export const BLOCK_NOTES: ReadonlyMap<string, Readonly<Record<string, string>>> = new Map(
  Object.entries<Readonly<Record<string, string>>>({
    'auto_start,depends_on,requires,restart,security,start_timeout,stop_timeout': {
      auto_start: 'Start the entry (and what it requires) when the runtime starts.',
      requires: 'IDs of entries started before this one and stopped after it.',
      depends_on: 'Legacy spelling of `requires`; both lists are merged.',
      start_timeout: 'Longest a start may take before it counts as failed.',
      stop_timeout: 'Longest a graceful stop may take (a consumer waits this long for running handlers).',
      restart: 'Backoff between restarts of an entry that failed.',
      security: 'The actor, policies and groups a consumer\'s handler runs with.',
    },
    'backoff_factor,initial_delay,jitter,max_attempts,max_delay': {
      initial_delay: 'Wait before the first restart.',
      max_delay: 'Longest wait between restarts; must not be below `initial_delay`.',
      backoff_factor: 'Each wait is the previous one times this (at least 1).',
      jitter: 'Random share (0 to 1) added to or taken from each wait.',
      max_attempts: 'Restarts before the entry stays failed; 0 means no limit.',
    },
    'backoff_factor,initial_delay,jitter,max_delay': {
      initial_delay: 'Wait before the first redelivery of a nacked message.',
      max_delay: 'Longest wait between redeliveries; must not be below `initial_delay`.',
      backoff_factor: 'Each wait is the previous one times this (at least 1).',
      jitter: 'Random share (0 to 1) added to or taken from each wait.',
    },
    'actor,groups,policies': {
      actor: 'The actor: an `id` and optional `meta`, which policy conditions can read.',
      groups: 'IDs of policy groups that apply (`namespace:group`).',
      policies: 'IDs of `security.policy` entries that apply.',
    },
    'id,meta': {
      id: 'Actor ID.',
      meta: 'Data about the actor (e.g. `role`), for policy conditions.',
    },
    'groups,policy': {
      policy: 'The rule: the actions and resources it covers, its effect, and when it applies.',
      groups: 'Groups the policy belongs to (a bare name is in this namespace); a `security` block that lists a group gets all its policies.',
    },
    'actions,conditions,effect,resources': {
      actions: 'Actions covered (`queue.publish`, `queue.publish.queue`, `queue.consume`, `queue.info`): `*`, one pattern, or a list.',
      resources: 'Resources covered, such as queue IDs (`app.orders:*`): `*`, one pattern, or a list.',
      effect: '`allow` or `deny`; a matching deny wins.',
      conditions: 'All must hold: a `field` (e.g. `actor.meta.role`), an `operator`, and a `value` or `value_from`.',
    },
    'max_attempts,queue': {
      queue: 'ID of the `queue.queue` entry that receives the messages.',
      max_attempts: 'Deliveries a message gets before it is moved there (at least 1).',
    },
  }),
);
