import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { maskUrl } from '../../src/drivers/amqp/mask-url.ts';
import { scrubSecrets } from '../../src/util/scrub-secrets.ts';
import { amqpDriverSchema, amqpQueueOptionsSchema, queueArguments } from '../../src/drivers/amqp/amqp-options.ts';
import { buildConnectArgs } from '../../src/drivers/amqp/connect-options.ts';
import { encodeMessage } from '../../src/drivers/amqp/message-codec.ts';
import { decodeHeaders } from '../../src/drivers/amqp/message-decoder.ts';
import { InvalidMessageError } from '../../src/errors/message-errors.ts';

const SPECS = join(import.meta.dirname, '../../specs/amqp');

describe('maskUrl', () => {
  it.each([
    ['amqp://app:s3cret@rabbit:5672/prod', 'amqp://app:***@rabbit:5672/prod'],
    ['amqps://app:p%40ss@rabbit/', 'amqps://app:***@rabbit/'],
    ['amqp://guest:guest@localhost:5672/', 'amqp://guest:***@localhost:5672/'],
    ['amqp://rabbit:5672/', 'amqp://rabbit:5672/'],
    ['amqp://user@rabbit/', 'amqp://user@rabbit/'],
    ['not a url://u:pw@x', 'not a url://u:pw@x'],
    ['amqp://u:pw with space@host', 'amqp://u:***@host'],
  ])('%s -> %s', (input, expected) => {
    expect(maskUrl(input)).toBe(expected);
  });

  it('scrubSecrets removes every occurrence of a secret', () => {
    expect(scrubSecrets('login as app/s3cret failed (s3cret)', ['s3cret'])).toBe('login as app/*** failed (***)');
  });
});

describe('amqp config schemas', () => {
  it('applies the documented defaults', () => {
    expect(amqpDriverSchema.parse({})).toEqual({
      url: 'amqp://guest:guest@localhost:5672/', auth_mechanism: 'PLAIN', connection_timeout: 10_000, reconnect_delay: 1000, reconnect_max_delay: 30_000, publish_timeout: 5000,
    });
    expect(amqpQueueOptionsSchema.parse({})).toEqual({ durable: true, auto_delete: false, queue_type: 'classic' });
  });

  it('maps queue options to x-arguments, durations in milliseconds, integers as int32 (as Wippy declares them)', () => {
    const options = amqpQueueOptionsSchema.parse({ max_length: 10, message_ttl: '1m30s', queue_expiry: '1h', overflow: 'reject_publish', max_priority: 5 });
    const int32 = (value: number) => ({ '!': 'int32', value });
    expect(queueArguments(options)).toEqual({
      durable: true, autoDelete: false,
      arguments: { 'x-max-length': int32(10), 'x-message-ttl': int32(90_000), 'x-expires': int32(3_600_000), 'x-overflow': 'reject-publish', 'x-max-priority': 5 },
    });
  });

  it("computes TTL and expiry as Wippy does: the queue's value, else the driver default; 0 = none; whole ms; clamped to int32", () => {
    const args = (queue: Record<string, unknown>, driver: Record<string, unknown> = {}) =>
      queueArguments(amqpQueueOptionsSchema.parse(queue), amqpDriverSchema.parse(driver)).arguments;
    const int32 = (value: number) => ({ '!': 'int32', value });
    expect(args({}, { default_queue_ttl: '1h', default_queue_expiry: '24h' })).toEqual({ 'x-message-ttl': int32(3_600_000), 'x-expires': int32(86_400_000) });
    expect(args({ message_ttl: '10s' }, { default_queue_ttl: '1h' })).toEqual({ 'x-message-ttl': int32(10_000) });
    // "0s" on the queue overrides the driver default with "none" (Wippy sends no argument for 0).
    expect(args({ message_ttl: '0s', queue_expiry: 0 }, { default_queue_ttl: '1h', default_queue_expiry: '1h' })).toEqual({});
    expect(args({ message_ttl: '1500us', queue_expiry: '2.9ms' })).toEqual({ 'x-message-ttl': int32(1), 'x-expires': int32(2) });
    expect(args({ message_ttl: '500us' })).toEqual({});
    expect(args({}, { default_queue_ttl: '600h' })).toEqual({ 'x-message-ttl': int32(2 ** 31 - 1) });
    expect(args({ queue_type: 'quorum' })).toEqual({ 'x-queue-type': 'quorum' });
    expect(args({ queue_type: 'classic' })).toEqual({});
  });

  it('refuses what a quorum queue cannot be', () => {
    const r = amqpQueueOptionsSchema.safeParse({ queue_type: 'quorum', durable: false, auto_delete: true, max_priority: 3 });
    expect(r.error!.issues.map((i) => i.message)).toEqual([
      'a quorum queue is always durable: remove durable: false',
      'a quorum queue cannot be auto_delete',
      'quorum queues have no priorities: remove max_priority',
    ]);
  });

  it("accepts Wippy's driver fields; 0 means unset for the counts", () => {
    const o = amqpDriverSchema.parse({
      connection_name: 'svc', auth_mechanism: 'AMQPLAIN', frame_size: 131072, channel_max: 0, prefetch_count: 0,
      default_message_ttl: '1h', default_queue_ttl: '2h', default_queue_expiry: '24h',
    });
    expect(o).toMatchObject({ connection_name: 'svc', auth_mechanism: 'AMQPLAIN', frame_size: 131072, default_message_ttl: 3_600_000, default_queue_ttl: 7_200_000, default_queue_expiry: 86_400_000 });
    expect(o.channel_max).toBeUndefined();
    expect(o.prefetch_count).toBeUndefined();
    expect(amqpDriverSchema.safeParse({ frame_size: 100 }).error!.issues[0]!.message).toBe('frame_size must be 0 (not set) or at least 4096');
    expect(amqpDriverSchema.safeParse({ auth_mechanism: 'KERBEROS' }).success).toBe(false);
    expect(amqpDriverSchema.safeParse({ auth_mechanism: 'EXTERNAL' }).error!.issues[0]!.message).toBe('EXTERNAL authenticates with the TLS client certificate: give tls.cert and tls.key');
  });

  it.each([
    [{ message_ttl: 'forever' }, 'invalid duration'],
    [{ max_length: 2 ** 31 }, ''],
    [{ max_length: -1 }, ''],
    [{ durible: true }, ''],
  ])('rejects queue options %j', (input, text) => {
    const r = amqpQueueOptionsSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.message).join('\n')).toContain(text);
  });

  it('rejects reconnect_max_delay below reconnect_delay', () => {
    const r = amqpDriverSchema.safeParse({ reconnect_delay: '10s', reconnect_max_delay: '1s' });
    expect(r.success).toBe(false);
  });

  it('accepts the AMQP version of the seed example', () => {
    const file = join(SPECS, 'queue.yaml');
    expect(() => parseConfigText(readFileSync(file, 'utf8'), file)).not.toThrow();
  });

  const invalid = readdirSync(join(SPECS, 'invalid')).filter((f) => f.endsWith('.yaml'));
  it.each(invalid)('specs/amqp/invalid/%s fails with its expected error', (name) => {
    const text = readFileSync(join(SPECS, 'invalid', name), 'utf8');
    const expected = readFileSync(join(SPECS, 'invalid', name.replace(/\.yaml$/, '.expected.txt')), 'utf8').trim();
    let error: unknown;
    try {
      parseConfigText(text, name);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const line of expected.split('\n')) expect(message).toContain(line);
    expect(message).not.toContain('topsecret');
  });
});

describe('amqp connect arguments', () => {
  it('takes vhost, heartbeat (whole seconds), timeout and the connection name', () => {
    const options = amqpDriverSchema.parse({ url: 'amqp://app:pw@rabbit:5673/ignored', vhost: 'prod', heartbeat: '1500ms', connection_timeout: '3s' });
    const args = buildConnectArgs(options, 'app:rabbit');
    expect(args.url).toMatchObject({ protocol: 'amqp', hostname: 'rabbit', port: 5673, username: 'app', password: 'pw', vhost: 'prod', heartbeat: 2 });
    expect(args.socket).toMatchObject({ timeout: 3000, clientProperties: { connection_name: 'app:rabbit' } });
    expect(args.display).toBe('amqp://app:***@rabbit:5673/prod');
  });

  it('reads TLS material from environment variables and switches to amqps', () => {
    const options = amqpDriverSchema.parse({ url: 'amqp://rabbit/', tls: { enabled: true, ca_env: 'T_CA', cert_env: 'T_CERT', key_env: 'T_KEY' } });
    const args = buildConnectArgs(options, 'x', { T_CA: 'CA-PEM', T_CERT: 'CERT-PEM', T_KEY: 'KEY-PEM' });
    expect(args.url).toMatchObject({ protocol: 'amqps', port: 5671 });
    expect(args.socket).toMatchObject({ ca: ['CA-PEM'], cert: 'CERT-PEM', key: 'KEY-PEM' });
    expect(args.secrets).toContain('KEY-PEM');
  });

  it('names the missing variable or file, never a value', () => {
    const fromEnv = amqpDriverSchema.parse({ tls: { enabled: true, cert_env: 'NO_SUCH_VAR_XYZ', key_env: 'OTHER_VAR' } });
    expect(() => buildConnectArgs(fromEnv, 'x', {})).toThrow('tls.cert_env: environment variable NO_SUCH_VAR_XYZ is not set');
    const fromFile = amqpDriverSchema.parse({ tls: { enabled: true, cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' } });
    expect(() => buildConnectArgs(fromFile, 'x', {})).toThrow('tls.cert: cannot read /nonexistent/cert.pem: ENOENT');
  });

  it("takes Wippy's TLS forms: inline PEM, file:// relative to the YAML file, server_name, insecure_skip_verify; cert needs key", () => {
    const dir = mkdtempSync(join(tmpdir(), 'actorq-tls-'));
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nFROM-FILE\n-----END CERTIFICATE-----\n');
    const key = '-----BEGIN PRIVATE KEY-----\nINLINE-KEY\n-----END PRIVATE KEY-----';
    const options = amqpDriverSchema.parse({
      url: 'amqps://rabbit/',
      tls: { enabled: true, ca: 'file://ca.pem', cert: '-----BEGIN CERTIFICATE-----\nINLINE\n-----END CERTIFICATE-----', key, server_name: 'rabbit.example.com', insecure_skip_verify: true },
    });
    const args = buildConnectArgs(options, 'x', {}, dir);
    rmSync(dir, { recursive: true, force: true });
    expect(args.socket).toMatchObject({ ca: [expect.stringContaining('FROM-FILE')], cert: expect.stringContaining('INLINE'), key, servername: 'rabbit.example.com', rejectUnauthorized: false });
    expect(args.secrets).toContain(key);
    const half = amqpDriverSchema.safeParse({ tls: { enabled: true, cert: 'c.pem' } });
    expect(half.error!.issues[0]).toMatchObject({ path: ['tls', 'key'], message: 'a client certificate needs its key: give cert and key together' });
  });

  it('connection_name, auth_mechanism, frame_size and channel_max reach the connection', () => {
    const plain = buildConnectArgs(amqpDriverSchema.parse({ url: 'amqp://u:p@h/' }), 'app:rabbit');
    expect(plain.socket['credentials']).toBeUndefined(); // amqplib's PLAIN from the URL
    const o = amqpDriverSchema.parse({ url: 'amqp://u:p@h/', connection_name: 'billing', auth_mechanism: 'AMQPLAIN', frame_size: 8192, channel_max: 16 });
    const args = buildConnectArgs(o, 'app:rabbit');
    expect(args.socket.clientProperties).toEqual({ connection_name: 'billing' });
    expect(args.socket['credentials']).toMatchObject({ mechanism: 'AMQPLAIN', username: 'u', password: 'p' });
    expect(args.url).toMatchObject({ frameMax: 8192, channelMax: 16 });
    const external = amqpDriverSchema.parse({ auth_mechanism: 'EXTERNAL', tls: { enabled: true, cert_env: 'C', key_env: 'K' } });
    expect(buildConnectArgs(external, 'x', { C: 'c', K: 'k' }).socket['credentials']).toMatchObject({ mechanism: 'EXTERNAL' });
  });
});

