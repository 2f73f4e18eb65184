import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { maskUrl, scrubSecrets } from '../../src/drivers/amqp/mask-url.ts';
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
      url: 'amqp://guest:guest@localhost:5672/', connection_timeout: 10_000, reconnect_delay: 1000, reconnect_max_delay: 30_000, publish_timeout: 5000,
    });
    expect(amqpQueueOptionsSchema.parse({})).toEqual({ durable: true, auto_delete: false });
  });

  it('maps queue options to x-arguments, durations in milliseconds', () => {
    const options = amqpQueueOptionsSchema.parse({ max_length: 10, message_ttl: '1m30s', queue_expiry: '1h', overflow: 'reject_publish', max_priority: 5 });
    expect(queueArguments(options)).toEqual({
      durable: true, autoDelete: false,
      arguments: { 'x-max-length': 10, 'x-message-ttl': 90_000, 'x-expires': 3_600_000, 'x-overflow': 'reject-publish', 'x-max-priority': 5 },
    });
  });

  it.each([
    [{ message_ttl: 'forever' }, 'invalid duration'],
    [{ queue_expiry: 0 }, 'queue_expiry must be at least 1ms'],
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
    const fromEnv = amqpDriverSchema.parse({ tls: { enabled: true, key_env: 'NO_SUCH_VAR_XYZ' } });
    expect(() => buildConnectArgs(fromEnv, 'x', {})).toThrow('tls.key_env: environment variable NO_SUCH_VAR_XYZ is not set');
    const fromFile = amqpDriverSchema.parse({ tls: { enabled: true, cert: '/nonexistent/cert.pem' } });
    expect(() => buildConnectArgs(fromFile, 'x', {})).toThrow('tls.cert: cannot read /nonexistent/cert.pem: ENOENT');
  });
});

describe('amqp message codec', () => {
  it('refuses bad steering header values', () => {
    expect(() => encodeMessage({ id: 'a', body: 1, headers: { 'amqp.priority': 300 } }, 'q')).toThrow(InvalidMessageError);
    expect(() => encodeMessage({ id: 'a', body: 1, headers: { 'amqp.expiration': 'soon' } }, 'q')).toThrow(InvalidMessageError);
    expect(() => encodeMessage({ id: 'a', body: 1, headers: { 'amqp.delivery_mode': 3 } }, 'q')).toThrow(InvalidMessageError);
  });

  it('is persistent JSON with the id in message-id', () => {
    const e = encodeMessage({ id: 'm-1', body: { a: 1 }, headers: { k: 'v', 'amqp.x_delay': 500 } }, 'q');
    expect(e.content.toString()).toBe('{"a":1}');
    expect(e.properties).toMatchObject({ messageId: 'm-1', contentType: 'application/json', deliveryMode: 2, headers: { k: 'v', 'x-delay': 500 } });
  });

  it('drops broker bookkeeping headers and unwraps typed values on the way back', () => {
    const headers = decodeHeaders({
      headers: { 'x-death': [{ count: 1 }], 'x-delivery-count': 2, stamp: { '!': 'timestamp', value: 1700000000 }, bin: Buffer.from('hi'), nested: { a: 1 } },
    } as never);
    expect(headers).toEqual({ stamp: 1700000000, bin: 'hi' });
  });
});
