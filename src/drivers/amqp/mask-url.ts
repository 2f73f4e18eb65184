/**
 * Returns `url` with its password replaced by `***`, for logs and error
 * messages. Text that does not parse as a URL is still scrubbed of anything
 * that looks like `scheme://user:password@`.
 *
 * @example
 * ```ts
 * maskUrl('amqp://app:s3cret@rabbit:5672/prod') // 'amqp://app:***@rabbit:5672/prod'
 * ```
 */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = '***';
    return u.toString();
  } catch {
    // Not a URL we can parse: mask the userinfo password by pattern instead.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/i, '$1:***@');
  }
}

