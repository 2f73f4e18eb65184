/*
 * Unit tests of the two pure option-mapping modules of the network drivers,
 * fed through the real option schemas (what a user's YAML produces):
 *
 * - src/drivers/redis/redis-client-options.ts: `maskUrl`, `describeTarget`
 *   and `clientOptions` (TLS from `rediss:`, `tls: true` or a TLS object;
 *   host/port/auth/db pass-through; ioredis's own reconnect and offline
 *   queue switched off).
 * - src/drivers/nats/nats-connect-options.ts: `describeTarget` (display and
 *   secrets), `connectOptions` (auth variants, nkey and creds files, TLS
 *   files, client reconnect off, defaults, unreadable files) and
 *   `scrubSecrets`.
 *
 * No server is needed; files (nkey seed, creds, PEMs) are written to a
 * temporary directory. Cases already in redis-config.test.ts and
 * nats-config.test.ts are not repeated.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis, type RedisOptions } from 'ioredis';
import { nkeys, type Auth, type Authenticator, type JwtAuth, type NKeyAuth } from '@nats-io/transport-node';
import { clientOptions, describeTarget as describeRedisTarget, maskUrl } from '../../src/drivers/redis/redis-client-options.ts';
import { DEFAULT_REDIS_URL, redisDriverOptionsSchema } from '../../src/drivers/redis/redis-kind.ts';
import { connectOptions, describeTarget as describeNatsTarget } from '../../src/drivers/nats/nats-connect-options.ts';
import { scrubSecrets } from '../../src/util/scrub-secrets.ts';
import { natsDriverOptionsSchema } from '../../src/drivers/nats/nats-options.ts';

const redis = (input: Record<string, unknown>) => redisDriverOptionsSchema.parse(input);
const nats = (input: Record<string, unknown>) => natsDriverOptionsSchema.parse(input);

const dir = mkdtempSync(join(tmpdir(), 'actorq-connect-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
function file(content: string): string {
  const path = join(dir, `f${++fileCount}`);
  writeFileSync(path, content);
  return path;
}

/** What ioredis itself makes of a URL and options (a lazy client: nothing connects). */
function settled(url: string, options: RedisOptions): RedisOptions {
  const client = url ? new Redis(url, options) : new Redis(options);
  try {
    return { ...client.options };
  } finally {
    client.disconnect();
  }
}

function authOf(auth: Authenticator | Authenticator[] | undefined, nonce: string): Auth {
  expect(typeof auth).toBe('function');
  return (auth as Authenticator)(nonce);
}

function verifies(publicKey: string, nonce: string, sig: string): boolean {
  return nkeys.fromPublic(publicKey).verify(new TextEncoder().encode(nonce), nkeys.decode(sig));
}

describe('redis clientOptions', () => {
  it('defaults: the default host, ioredis reconnect and offline queue off, lazy connect, 10s connect timeout, the given connection name, no TLS', () => {
    const { url, options } = clientOptions(redis({}), 'app:redis');
    expect(url).toBe('');
    expect(`redis://${options.host}:6379`).toBe(DEFAULT_REDIS_URL);
    expect(options).toStrictEqual({
      host: '127.0.0.1',
      lazyConnect: true,
      retryStrategy: expect.any(Function),
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      autoPipeliningIgnoredCommands: ['aqFetch'],
      autoResubscribe: false,
      connectTimeout: 10_000,
      connectionName: 'app:redis',
    });
    // ioredis reconnects only while retryStrategy returns a number.
    expect(options.retryStrategy!(1)).toBeNull();
    expect(options.retryStrategy!(100)).toBeNull();
  });

  it('connect_timeout given as a duration reaches ioredis in ms', () => {
    expect(clientOptions(redis({ connect_timeout: '2500ms' }), 'n').options.connectTimeout).toBe(2_500);
    expect(clientOptions(redis({ connect_timeout: '3s' }), 'n').options.connectTimeout).toBe(3_000);
  });

  it('host, port, username, password and db pass through, and the URL is empty so the URL defaults cannot override them', () => {
    const { url, options } = clientOptions(redis({ host: 'db.internal', port: 7000, username: 'app', password: 's3cret', db: 3 }), 'n');
    expect(url).toBe('');
    expect(options).toMatchObject({ host: 'db.internal', port: 7000, username: 'app', password: 's3cret', db: 3 });
    expect(options.tls).toBeUndefined();
  });

  it('a numeric YAML password reaches ioredis as a string; db 0 is passed, not dropped', () => {
    const { options } = clientOptions(redis({ host: 'db', password: 12345, db: 0 }), 'n');
    expect(options.password).toBe('12345');
    expect(options.db).toBe(0);
  });

  it('a url is returned unchanged and adds no host or port option', () => {
    const { url, options } = clientOptions(redis({ url: 'redis://app:s3cret@db:6380/2' }), 'n');
    expect(url).toBe('redis://app:s3cret@db:6380/2');
    expect('host' in options).toBe(false);
    expect('port' in options).toBe(false);
    expect(options.tls).toBeUndefined();
  });

  it('a port given without a host is the port ioredis connects to, on the default host', () => {
    const { url, options } = clientOptions(redis({ port: 7000 }), 'n');
    expect(url).toBe('');
    expect(settled(url, options)).toMatchObject({ host: '127.0.0.1', port: 7000 });
  });

  it('username, password and db given beside a url win over what the URL says', () => {
    const { url, options } = clientOptions(redis({ url: 'redis://old-user:old-pass@db:6380/2?password=older&family=6', username: 'app', password: 'new', db: 5 }), 'n');
    expect(url).toBe('redis://db:6380?family=6');
    expect(settled(url, options)).toMatchObject({ host: 'db', port: 6380, username: 'app', password: 'new', db: 5, family: 6 });
    // Only what is given replaces the URL's part.
    const some = clientOptions(redis({ url: 'redis://app:old@db:6380/2', password: 'new' }), 'n');
    expect(settled(some.url, some.options)).toMatchObject({ username: 'app', password: 'new', db: 2 });
  });

  it('a rediss: URL turns TLS on with default settings, in any letter case', () => {
    expect(clientOptions(redis({ url: 'rediss://db:6380' }), 'n').options.tls).toStrictEqual({});
    expect(clientOptions(redis({ url: 'REDISS://db:6380' }), 'n').options.tls).toStrictEqual({});
  });

  it('tls: true turns TLS on for a redis:// URL and for host/port', () => {
    expect(clientOptions(redis({ url: 'redis://db:6379', tls: true }), 'n').options.tls).toStrictEqual({});
    const byHost = clientOptions(redis({ host: 'db', tls: true }), 'n');
    expect(byHost.url).toBe('');
    expect(byHost.options.tls).toStrictEqual({});
  });

  it('a TLS object reaches ioredis exactly: reject_unauthorized, ca, cert, key, servername', () => {
    const tls = { ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM', servername: 'redis.example', reject_unauthorized: false };
    const { options } = clientOptions(redis({ host: 'db', port: 6380, tls }), 'n');
    expect(options.tls).toStrictEqual({ rejectUnauthorized: false, ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM', servername: 'redis.example' });
  });

  it('an empty TLS object verifies the server certificate by default and sets nothing else', () => {
    expect(clientOptions(redis({ url: 'redis://db', tls: {} }), 'n').options.tls).toStrictEqual({ rejectUnauthorized: true });
  });

  it('an explicit TLS object wins over the plain TLS a rediss: URL implies', () => {
    const { options } = clientOptions(redis({ url: 'rediss://db:6380', tls: { servername: 'sni.example', reject_unauthorized: false } }), 'n');
    expect(options.tls).toStrictEqual({ rejectUnauthorized: false, servername: 'sni.example' });
  });
});

describe('redis describeTarget and maskUrl', () => {
  it('host/port form: user shown, password masked, db shown when not 0', () => {
    expect(describeRedisTarget(redis({ host: 'db', port: 7000, username: 'app', password: 's3cret', db: 2 }))).toBe('redis://app:***@db:7000/2');
    expect(describeRedisTarget(redis({ host: 'db', db: 0 }))).toBe('redis://db:6379');
  });

  it('no url and no host: the default address', () => {
    expect(describeRedisTarget(redis({}))).toBe('redis://127.0.0.1:6379');
  });

  it('a password given beside a url never appears in the target', () => {
    const target = describeRedisTarget(redis({ url: 'redis://db:6379', username: 'app', password: 's3cret-pw' }));
    expect(target).toBe('redis://db:6379');
    expect(target).not.toContain('s3cret-pw');
  });

  it('maskUrl: a password holding a bare @ is masked whole (user info ends at the last @)', () => {
    expect(maskUrl('redis://app:p@ss@db:6379')).toBe('redis://app:***@db:6379');
    expect(maskUrl('redis://p@ss@db:6379/1')).toBe('redis://***@db:6379/1');
  });

  it('maskUrl: an upper-case scheme and every password= query value are masked', () => {
    expect(maskUrl('REDISS://app:s3cret@db:6380')).toBe('REDISS://app:***@db:6380');
    expect(maskUrl('redis://db?password=one&db=1&PASSWORD=two#x')).toBe('redis://db?password=***&db=1&PASSWORD=***#x');
  });
});

describe('nats connectOptions', () => {
  it('defaults: the default server, client reconnect off, 10s timeout and ping interval, two pings out, the given name, no auth and no TLS', () => {
    expect(connectOptions(nats({}), 'app:nats')).toStrictEqual({
      servers: 'nats://127.0.0.1:4222',
      name: 'app:nats',
      reconnect: false,
      timeout: 10_000,
      pingInterval: 10_000,
      maxPingOut: 2,
      noAsyncTraces: true,
    });
  });

  it('name, servers, connect_timeout and ping_interval are taken from the options; reconnect stays off whatever the reconnect settings', () => {
    const o = connectOptions(
      nats({ servers: ['nats://n1:4222', 'tls://n2:4222'], name: 'billing', connect_timeout: '3s', ping_interval: '1500ms', reconnect_delay: '1s', reconnect_max_delay: '1m' }),
      'app:nats',
    );
    expect(o).toMatchObject({ servers: ['nats://n1:4222', 'tls://n2:4222'], name: 'billing', timeout: 3_000, pingInterval: 1_500, reconnect: false });
  });

  it('user and password become user and pass; a numeric password becomes a string', () => {
    const o = connectOptions(nats({ user: 'app', password: 4242 }), 'n');
    expect(o.user).toBe('app');
    expect(o.pass).toBe('4242');
    expect(o.token).toBeUndefined();
    expect(o.authenticator).toBeUndefined();
  });

  it('a token is passed as the token, with no user or authenticator', () => {
    const o = connectOptions(nats({ token: 'tok-s3cret' }), 'n');
    expect(o.token).toBe('tok-s3cret');
    expect(o.user).toBeUndefined();
    expect(o.pass).toBeUndefined();
    expect(o.authenticator).toBeUndefined();
  });

  it('nkey: the seed file is read (surrounding whitespace trimmed) and signs the server nonce', () => {
    const kp = nkeys.createUser();
    const seed = new TextDecoder().decode(kp.getSeed());
    const o = connectOptions(nats({ nkey: file(`\n  ${seed}\n\n`) }), 'n');
    const auth = authOf(o.authenticator, 'nonce-1') as NKeyAuth;
    expect(auth.nkey).toBe(kp.getPublicKey());
    expect(verifies(kp.getPublicKey(), 'nonce-1', auth.sig)).toBe(true);
  });

  it('nkey: the file is read again on each call, so a replaced seed is used by the next connect', () => {
    const path = file(new TextDecoder().decode(nkeys.createUser().getSeed()));
    const options = nats({ nkey: path });
    const first = (authOf(connectOptions(options, 'n').authenticator, 'x') as NKeyAuth).nkey;
    const next = nkeys.createUser();
    writeFileSync(path, new TextDecoder().decode(next.getSeed()));
    const second = (authOf(connectOptions(options, 'n').authenticator, 'x') as NKeyAuth).nkey;
    expect(second).toBe(next.getPublicKey());
    expect(second).not.toBe(first);
  });

  it('credentials: the .creds file gives the JWT and the seed that signs the nonce', () => {
    const kp = nkeys.createUser();
    const seed = new TextDecoder().decode(kp.getSeed());
    const jwt = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJ0ZXN0In0.c2ln';
    const creds = [
      '-----BEGIN NATS USER JWT-----',
      jwt,
      '------END NATS USER JWT------',
      '',
      '************************* IMPORTANT *************************',
      'NKEY Seed printed below can be used to sign and prove identity.',
      '',
      '-----BEGIN USER NKEY SEED-----',
      seed,
      '------END USER NKEY SEED------',
      '',
    ].join('\n');
    const o = connectOptions(nats({ credentials: file(creds) }), 'n');
    const auth = authOf(o.authenticator, 'nonce-2') as JwtAuth;
    expect(auth.jwt).toBe(jwt);
    expect(auth.nkey).toBe(kp.getPublicKey());
    expect(verifies(kp.getPublicKey(), 'nonce-2', auth.sig!)).toBe(true);
  });

  it('a tls:// server asks for TLS without tls set (a server without TLS is refused, not spoken to in plain text)', () => {
    expect(connectOptions(nats({ servers: 'tls://n1:4222' }), 'n').tls).toStrictEqual({});
    expect(connectOptions(nats({ servers: ['nats://n1:4222', 'TLS://n2:4222'] }), 'n').tls).toStrictEqual({});
    expect('tls' in connectOptions(nats({ servers: 'nats://n1:4222' }), 'n')).toBe(false);
    // Said outright, tls: false stands.
    expect('tls' in connectOptions(nats({ servers: 'tls://n1:4222', tls: false }), 'n')).toBe(false);
  });

  it('tls: true asks for TLS with the default settings; tls: false sets nothing', () => {
    expect(connectOptions(nats({ tls: true }), 'n').tls).toStrictEqual({});
    expect('tls' in connectOptions(nats({ tls: false }), 'n')).toBe(false);
  });

  it('a TLS object reaches the client exactly: handshake_first, and the PEM contents (not paths) of ca, cert and key', () => {
    const ca = file('-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
    const cert = file('-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n');
    const key = file('-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n');
    expect(connectOptions(nats({ tls: { ca, cert, key, handshake_first: true } }), 'n').tls).toStrictEqual({
      handshakeFirst: true,
      ca: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
      cert: '-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n',
      key: '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n',
    });
  });

  it('an empty TLS object means TLS after the NATS handshake and nothing else', () => {
    expect(connectOptions(nats({ tls: {} }), 'n').tls).toStrictEqual({ handshakeFirst: false });
  });

  it('an unreadable file is an Error naming the option, the path and the error code', () => {
    const missing = join(dir, 'no-such-file');
    const cases: [Record<string, unknown>, string][] = [
      [{ nkey: missing }, 'nkey'],
      [{ credentials: missing }, 'credentials'],
      [{ tls: { ca: missing } }, 'tls.ca'],
      [{ tls: { cert: missing, key: file('KEY') } }, 'tls.cert'],
      [{ tls: { cert: file('CERT'), key: missing } }, 'tls.key'],
    ];
    for (const [input, option] of cases) {
      expect(() => connectOptions(nats(input), 'n'), option).toThrow(new Error(`${option}: cannot read ${missing}: ENOENT`));
    }
    expect(() => connectOptions(nats({ nkey: dir }), 'n')).toThrow(new Error(`nkey: cannot read ${dir}: EISDIR`));
  });
});

describe('nats describeTarget and scrubSecrets', () => {
  it('the password and token options are secrets and never shown, though no server URL carries them', () => {
    const withPassword = describeNatsTarget(nats({ servers: ['nats://n1:4222', 'n2:4222'], user: 'app', password: 'pw-s3cret' }));
    expect(withPassword).toEqual({ display: 'nats://n1:4222,n2:4222', secrets: ['pw-s3cret'] });
    const withToken = describeNatsTarget(nats({ servers: 'tls://n1:4222', token: 987654 }));
    expect(withToken).toEqual({ display: 'tls://n1:4222', secrets: ['987654'] });
  });

  it('nkey seeds and creds never reach the target: only servers are shown', () => {
    const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
    const nkeyTarget = describeNatsTarget(nats({ servers: 'nats://n1:4222', nkey: file(seed) }));
    expect(nkeyTarget).toEqual({ display: 'nats://n1:4222', secrets: [] });
    const credsPath = file(`-----BEGIN NATS USER JWT-----\nJWT\n------END NATS USER JWT------\n`);
    expect(describeNatsTarget(nats({ credentials: credsPath })).display).toBe('nats://127.0.0.1:4222');
  });

  it('a URL password is recorded decoded; an empty URL password is masked but not a secret', () => {
    const t = describeNatsTarget(nats({ servers: ['nats://app:p%40ss%2Fw0rd@n1:4222', 'nats://app:@n2:4222'] }));
    expect(t.display).toBe('nats://app:***@n1:4222,nats://app:***@n2:4222');
    expect(t.secrets).toEqual(['p@ss/w0rd']);
  });

  it('scrubSecrets: an error text built from the options shows none of the secrets', () => {
    const t = describeNatsTarget(nats({ servers: 'nats://app:url-s3cret@n1:4222', user: 'app', password: 'opt-s3cret' }));
    const text = 'Authorization Violation for app/opt-s3cret at nats://app:url-s3cret@n1:4222 (opt-s3cret)';
    const scrubbed = scrubSecrets(text, t.secrets);
    expect(scrubbed).toBe('Authorization Violation for app/*** at nats://app:***@n1:4222 (***)');
    expect(scrubbed).not.toContain('s3cret');
  });

  it('a URL password holding a bare @ is masked whole and kept as one secret', () => {
    const t = describeNatsTarget(nats({ servers: 'nats://app:p@ss@n1:4222' }));
    expect(t.display).toBe('nats://app:***@n1:4222');
    expect(t.secrets).toEqual(['p@ss']);
  });

  it('scrubSecrets removes the longer of two secrets where one begins the other', () => {
    expect(scrubSecrets('auth failed for password1', ['pass', 'password1'])).toBe('auth failed for ***');
  });

  it('scrubSecrets leaves secrets shorter than 3 characters alone, so short values do not shred unrelated text', () => {
    expect(scrubSecrets('a nats error', ['a', 'er'])).toBe('a nats error');
  });
});

describe('nats options: bad combinations are rejected without echoing secrets', () => {
  it('two ways to authenticate, or cert without key, are config errors on the right field', () => {
    const issues = (input: Record<string, unknown>) => {
      const r = natsDriverOptionsSchema.safeParse(input);
      expect(r.success).toBe(false);
      return r.error!.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    };
    expect(issues({ nkey: '/a.nk', credentials: '/a.creds' })).toEqual([{ path: 'credentials', message: 'give one way to authenticate, not nkey and credentials' }]);
    const userAndToken = issues({ user: 'app', password: 'pw-s3cret', token: 'tok-s3cret' });
    expect(userAndToken).toEqual([{ path: 'token', message: 'give one way to authenticate, not user and token' }]);
    expect(JSON.stringify(userAndToken)).not.toContain('s3cret');
    expect(issues({ tls: { cert: '/c.pem' } })).toEqual([{ path: 'tls.key', message: 'give cert and key together' }]);
    expect(issues({ tls: { key: '/k.pem' } })).toEqual([{ path: 'tls.cert', message: 'give cert and key together' }]);
  });
});
