import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { SocketOptions } from 'amqplib';

/** Opening of a PEM block: a value containing it is the PEM text itself, not a path. */
const PEM_MARKER = '-----BEGIN ';

/**
 * The `tls` block of a `queue.driver.amqp` entry, with Wippy's fields.
 * `ca`, `cert` and `key` each take the PEM text inline (as Wippy does), a
 * `file://` URL (relative to the YAML file) or a path; the `*_env` forms
 * name an environment variable holding the PEM text instead.
 *
 * @example
 * ```yaml
 * tls:
 *   enabled: true
 *   server_name: rabbit.example.com
 *   ca: file://certs/ca.pem
 *   cert_env: AMQP_CERT
 *   key_env: AMQP_KEY
 * ```
 */
export const tlsSchema = z
  .object({
    /** Use TLS (`amqps`). An `amqps://` URL enables it as well. @default false */
    enabled: z.boolean().default(false),
    /** CA certificate(s) to trust: PEM text, `file://` URL or path. */
    ca: z.string().min(1).optional(),
    /** Name of an environment variable holding the CA PEM text. */
    ca_env: z.string().min(1).optional(),
    /** Client certificate: PEM text, `file://` URL or path. */
    cert: z.string().min(1).optional(),
    /** Name of an environment variable holding the client certificate PEM text. */
    cert_env: z.string().min(1).optional(),
    /** Client private key: PEM text, `file://` URL or path. */
    key: z.string().min(1).optional(),
    /** Name of an environment variable holding the client key PEM text. */
    key_env: z.string().min(1).optional(),
    /** Host name the server certificate must name (SNI). @default the URL's host */
    server_name: z.string().min(1).optional(),
    /** Accept any server certificate (development only). @default false */
    insecure_skip_verify: z.boolean().default(false),
  })
  .strict()
  .superRefine((tls, ctx) => {
    for (const name of ['ca', 'cert', 'key'] as const) {
      if (tls[name] !== undefined && tls[`${name}_env`] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [name], message: `give ${name} or ${name}_env, not both` });
      }
    }
    const cert = tls.cert !== undefined || tls.cert_env !== undefined;
    const key = tls.key !== undefined || tls.key_env !== undefined;
    if (cert !== key) ctx.addIssue({ code: 'custom', path: [cert ? 'key' : 'cert'], message: 'a client certificate needs its key: give cert and key together' });
  });

/** A validated `tls` block. */
export type AmqpTlsOptions = z.output<typeof tlsSchema>;

/**
 * Socket options for TLS: the PEM material read from where the block
 * says, SNI name and verification. Throws an `Error` naming the field
 * (never its value: a key is a secret) when material cannot be read.
 *
 * @param baseDir directory `file://` URLs are relative to (the YAML file's).
 */
export function tlsSocketOptions(tls: AmqpTlsOptions, env: NodeJS.ProcessEnv, baseDir: string): SocketOptions {
  const out: SocketOptions = {};
  for (const name of ['ca', 'cert', 'key'] as const) {
    const value = pem(tls, name, env, baseDir);
    if (value !== undefined) out[name] = name === 'ca' ? [value] : value;
  }
  if (tls.server_name !== undefined) out['servername'] = tls.server_name;
  if (tls.insecure_skip_verify) out['rejectUnauthorized'] = false;
  return out;
}

function pem(tls: AmqpTlsOptions, name: 'ca' | 'cert' | 'key', env: NodeJS.ProcessEnv, baseDir: string): string | undefined {
  const given = tls[name];
  const variable = tls[`${name}_env`];
  if (given !== undefined) {
    if (given.includes(PEM_MARKER)) return given;
    const path = given.startsWith('file://') ? resolve(baseDir, given.slice('file://'.length)) : isAbsolute(given) ? given : resolve(baseDir, given);
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`tls.${name}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  if (variable !== undefined) {
    const value = env[variable];
    if (value === undefined || value === '') throw new Error(`tls.${name}_env: environment variable ${variable} is not set`);
    return value;
  }
  return undefined;
}
