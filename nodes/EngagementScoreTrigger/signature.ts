import { createHmac, timingSafeEqual } from 'node:crypto';

/** Deliveries older than this are refused, so a captured request cannot be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export type SignatureCheck = { valid: true } | { valid: false; reason: string };

/**
 * Checks `X-Engagement-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` against
 * the subscription's secret, comparing in constant time. Several `v1` values are accepted (any may match).
 */
export function verifySignature(header: string | undefined, rawBody: Buffer, secret: string, nowSeconds: number): SignatureCheck {
  if (!header) return { valid: false, reason: 'the X-Engagement-Signature header is missing' };
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1' && /^[0-9a-f]+$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { valid: false, reason: 'the signature has no timestamp' };
  const age = nowSeconds - Number(timestamp);
  if (age > SIGNATURE_TOLERANCE_SECONDS) return { valid: false, reason: 'the signature is older than 5 minutes' };
  if (age < -SIGNATURE_TOLERANCE_SECONDS) return { valid: false, reason: 'the signature is dated more than 5 minutes ahead' };
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  const matches = signatures.some((given) => given.length === expected.length && timingSafeEqual(given, expected));
  return matches ? { valid: true } : { valid: false, reason: 'the signature does not match the body' };
}
