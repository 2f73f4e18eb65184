/** Shortest secret removed: shorter ones would shred unrelated text (`a`, `er`). */
const MIN_SECRET_LENGTH = 3;

/**
 * Removes every occurrence of `secrets` from `text` (an error message from
 * a client library, say), so a password, token or key can never leak
 * through text the driver did not write itself. Longest first: a secret
 * that begins another would otherwise leave the other's tail behind.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  const longestFirst = [...secrets].sort((a, b) => b.length - a.length);
  for (const s of longestFirst) if (s.length >= MIN_SECRET_LENGTH) out = out.split(s).join('***');
  return out;
}
