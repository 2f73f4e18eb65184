import { ListQueuesCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { ConnectionSupervisor } from '../connection-supervisor.ts';
import { DriverUnavailableError, AbortedError } from '../../errors/lifecycle-errors.ts';
import { ConfigError } from '../../errors/config-error.ts';
import type { Logger } from '../../util/logger.ts';
import type { SqsDriverOptions } from './sqs-kind.ts';
import { describeError, isAccessDenied, isCredentialProblem, isTransient } from './sqs-errors.ts';

/** The part of the SDK client the driver calls; `send` of any command. @internal */
export type SqsSend = SQSClient['send'];

/**
 * The SQS endpoint of one driver, run by a {@link ConnectionSupervisor}
 * (the connection machine). SQS is plain HTTPS, so "connected" means "the
 * endpoint answered the last probe": `connect` builds an SDK client and
 * probes (declaring the driver's queues again, which also checks the
 * credentials); any call that then fails for want of an answer (refused,
 * reset, timed out, 5xx) reports the connection lost, and the machine
 * probes again with its backoff while receives pause and publishes wait.
 *
 * Credentials live only in the SDK client: `target` and every error text
 * the driver writes leave them out (see {@link SqsConnection.describe}).
 */
export class SqsConnection {
  readonly supervisor: ConnectionSupervisor;
  /** Printable target: region and endpoint, never credentials. */
  readonly target: string;
  readonly #id: string;
  readonly #config: SQSClientConfig;
  readonly #secrets: readonly string[];
  readonly #logger: Logger;
  readonly #restore: (send: SqsSend) => Promise<boolean>;
  #client: SQSClient | undefined;
  #lost: ((error: unknown) => void) | undefined;

  /**
   * `restore` declares the driver's queues again on a fresh client and
   * says whether it called the endpoint; when it did not (no queues yet),
   * the probe is a `ListQueues`.
   *
   * @throws ConfigError when no region is given anywhere.
   */
  constructor(id: string, options: SqsDriverOptions, logger: Logger, restore: (send: SqsSend) => Promise<boolean>, env: NodeJS.ProcessEnv = process.env) {
    this.#id = id;
    this.#logger = logger;
    this.#restore = restore;
    const region = options.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? (options.endpoint !== undefined ? 'us-east-1' : undefined);
    if (region === undefined) {
      throw new ConfigError([{ entryId: id, field: 'region', message: 'no AWS region: set region, or AWS_REGION in the environment' }]);
    }
    this.#config = { region, ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}) };
    if (options.access_key_id !== undefined && options.secret_access_key !== undefined) {
      this.#config.credentials = {
        accessKeyId: options.access_key_id,
        secretAccessKey: options.secret_access_key,
        ...(options.session_token !== undefined ? { sessionToken: options.session_token } : {}),
      };
    }
    this.#secrets = [options.secret_access_key, options.session_token, options.access_key_id].filter((s): s is string => s !== undefined);
    this.target = `sqs ${region}${options.endpoint !== undefined ? ` at ${options.endpoint}` : ''}`;
    this.supervisor = new ConnectionSupervisor(
      { connect: (a) => this.#connect(a), watch: (lost) => this.#watch(lost), disconnect: () => this.#disconnect() },
      { initialDelay: options.reconnect_delay, maxDelay: options.reconnect_max_delay },
      { id },
    );
  }

  /** Whether the machine is `connected` now. */
  get connected(): boolean {
    return this.supervisor.state === 'connected';
  }

  /**
   * Sends a command. A failure for want of an answer reports the
   * connection lost (once) before it is rethrown, so the machine starts
   * probing. Throws DRIVER_UNAVAILABLE when the driver has no client.
   */
  send: SqsSend = ((command: Parameters<SqsSend>[0], options?: Parameters<SqsSend>[1]) => {
    const client = this.#client;
    if (!client) return Promise.reject(new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.#id}: ${this.target} is not connected`));
    return client.send(command, options as never).catch((e: unknown) => {
      if (isTransient(e) && client === this.#client) this.lost(e);
      throw e;
    });
  }) as SqsSend;

  /** Reports the endpoint unreachable (at most once per connection). */
  lost(error: unknown): void {
    const lost = this.#lost;
    if (!lost) return;
    this.#lost = undefined;
    const text = this.describe(error);
    this.#logger.warn('sqs endpoint unreachable', { driver: this.#id, target: this.target, error: text });
    lost(new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.#id}: ${this.target} unreachable: ${text}`));
  }

  /** An SDK error as text, credentials removed. */
  describe(error: unknown): string {
    return describeError(error, this.#secrets);
  }

  /**
   * Resolves once the machine is `connected`, waiting through
   * `connecting`/`reconnecting` for up to `timeoutMs`. Rejects at once when
   * closed, idle or failed; with AbortedError when `signal` aborts.
   */
  async whenUsable(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const sup = this.supervisor;
    const deadline = Date.now() + timeoutMs;
    // Only reached while not connected: a short poll of the machine's state
    // notices connect, stop and failure alike without a waiter per call.
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      const state = sup.state;
      if (state === 'connected') return;
      if (state === 'closed' || state === 'closing') throw new DriverUnavailableError('DRIVER_STOPPED', `driver ${this.#id} stopped`);
      if (state === 'idle') throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.#id} not started`);
      if (state === 'failed') throw this.#unavailable(`cannot reach ${this.target}`, sup.lastError);
      if (signal?.aborted) throw new AbortedError(`driver ${this.#id}: aborted while waiting for ${this.target}`, { cause: signal.reason });
      if (Date.now() >= deadline) throw this.#unavailable(`${this.target} unreachable for ${timeoutMs}ms`, sup.lastError);
      await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(1, deadline - Date.now()))));
    }
  }

  async #connect(attempt: number): Promise<void> {
    this.#client ??= new SQSClient(this.#config);
    const send = this.#client.send.bind(this.#client) as SqsSend;
    try {
      if (!(await this.#restore(send))) await send(new ListQueuesCommand({ MaxResults: 1 }));
    } catch (e) {
      // Refused for want of permission: the endpoint answered, and the
      // calls the driver makes may well be allowed.
      if (!isAccessDenied(e)) {
        if (e instanceof ConfigError || e instanceof DriverUnavailableError) throw e;
        const what = isCredentialProblem(e) ? 'refused the credentials' : 'cannot be reached';
        throw this.#unavailable(`${this.target} ${what}${attempt ? ` (attempt ${attempt})` : ''}: ${this.describe(e)}`);
      }
    }
    this.#logger.info(attempt ? 'sqs endpoint reachable again' : 'sqs endpoint reachable', { driver: this.#id, target: this.target });
  }

  #watch(lost: (error?: unknown) => void): () => void {
    this.#lost = lost;
    return () => {
      if (this.#lost === lost) this.#lost = undefined;
    };
  }

  async #disconnect(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#lost = undefined;
    client?.destroy();
  }

  #unavailable(what: string, cause?: unknown): DriverUnavailableError {
    // The cause is the driver's own error (already scrubbed) or none: an SDK error object may hold request details.
    return new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${this.#id}: ${what}`, cause instanceof DriverUnavailableError ? { cause } : undefined);
  }
}
