/**
 * Reading the AWS SDK's errors. A service error carries `name` (the error
 * code, e.g. `QueueDoesNotExist`) and `$metadata.httpStatusCode`; a network
 * failure (refused, reset, timed out) has no HTTP status; an aborted call
 * is an `AbortError`.
 *
 * @internal
 */
import { scrubSecrets } from '../../util/scrub-secrets.ts';

interface SdkErrorShape {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** Error codes meaning "slow down", not "unreachable". */
const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'RequestThrottled', 'RequestThrottledException', 'TooManyRequestsException', 'SlowDown']);

/** Error codes of credentials the endpoint does not accept. */
const CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'MissingAuthenticationToken',
  'IncompleteSignature',
  'ExpiredToken',
  'InvalidSecurity',
  'CredentialsProviderError',
]);

/** The SDK's name for an error (its AWS error code for service errors). */
export function errorCode(error: unknown): string {
  const e = error as SdkErrorShape | null;
  if (typeof e?.name === 'string' && e.name !== 'Error') return e.name;
  if (typeof e?.Code === 'string') return e.Code;
  if (typeof e?.code === 'string') return e.code;
  return 'Error';
}

function status(error: unknown): number | undefined {
  const s = (error as SdkErrorShape | null)?.$metadata?.httpStatusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The queue named does not exist on the endpoint. */
export function isQueueMissing(error: unknown): boolean {
  const code = bareCode(error);
  return code === 'QueueDoesNotExist' || code === 'NonExistentQueue' || (error as SdkErrorShape | null)?.Code === 'AWS.SimpleQueueService.NonExistentQueue';
}

/**
 * The error code without the `AWS.SimpleQueueService.` prefix that some
 * servers send and the SDK passes on as it is.
 */
function bareCode(error: unknown): string {
  return errorCode(error).replace(/^AWS\.SimpleQueueService\./, '');
}

/**
 * A queue of that name exists already, with other attributes (another
 * process created it). AWS's `QueueAlreadyExists` reaches the SDK as
 * `QueueNameExists`; other servers send it prefixed (see {@link bareCode}).
 */
export function isQueueNameTaken(error: unknown): boolean {
  const code = bareCode(error);
  return code === 'QueueAlreadyExists' || code === 'QueueNameExists';
}

/** A call cancelled through its AbortSignal. */
export function isAborted(error: unknown): boolean {
  return errorCode(error) === 'AbortError';
}

/** The endpoint could not be reached or failed on its side: worth trying again once it answers. */
export function isTransient(error: unknown): boolean {
  if (isAborted(error)) return false;
  const s = status(error);
  if (s !== undefined) return s >= 500 || THROTTLING.has(errorCode(error));
  // No HTTP reply: a socket error (ECONNREFUSED, ECONNRESET, ...) or a time-out.
  const code = (error as SdkErrorShape | null)?.code;
  const name = errorCode(error);
  return (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) || name === 'TimeoutError' || name === 'RequestTimeout' || name === 'NetworkingError';
}

/** The endpoint answered and refused the credentials. */
export function isCredentialProblem(error: unknown): boolean {
  return CREDENTIALS.has(errorCode(error));
}

/** The endpoint answered and refused the call for lack of permission: it is reachable. */
export function isAccessDenied(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'AccessDenied' || code === 'AccessDeniedException' || code === 'AuthorizationError';
}

/**
 * `"<code>: <message>"` of an SDK error with every secret removed, so a
 * key can never leak through text the driver did not write itself.
 */
export function describeError(error: unknown, secrets: readonly string[]): string {
  const message = (error as SdkErrorShape | null)?.message;
  const text = `${errorCode(error)}: ${typeof message === 'string' ? message : String(error)}`;
  return scrubSecrets(text, secrets);
}
