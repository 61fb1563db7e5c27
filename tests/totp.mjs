// RFC 6238 for the tests that sign in to the IMDi console: the six-digit code
// an authenticator app shows, from HMAC-SHA1 over the 30-second step, keyed by
// the base32 secret (spaces, as the console groups it, are ignored).
import { createHmac } from 'node:crypto';

export function totp(secret, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/[\s=]+/g, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const step = Buffer.alloc(8);
  step.writeBigUInt64BE(BigInt(Math.floor(at / 30000)));
  const mac = createHmac('sha1', key).update(step).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1e6).padStart(6, '0');
}

/** A code still current `margin` ms from now: near the end of a step, waits for the next.
 *  (moto, like Cognito, accepts only the present step's code.) */
export async function freshTotp(secret, margin = 5000) {
  const left = 30000 - (Date.now() % 30000);
  if (left < margin) await new Promise((resolve) => setTimeout(resolve, left + 50));
  return totp(secret);
}
