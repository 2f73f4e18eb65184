// Acks every message; throws (nack) for bodies with { fail: true }.
export default function handler(body) {
  if (body && body.fail) throw new Error('asked to fail');
  return { ok: true };
}
