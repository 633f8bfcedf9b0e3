/**
 * HS256 JSON Web Tokens over a shared secret. Signing is done here with node:crypto's HMAC:
 * jose signs through WebCrypto, whose asynchronous round trip costs tens of times the HMAC
 * itself, and every call signs several tokens. Verifying stays with jose (`hmacKey` gives it
 * the secret's key, imported once rather than on every verification).
 */
import { createHmac, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
const keys = new Map<string, Promise<CryptoKey>>();

function checked(secret: string, what: string): string {
  if (secret.length < 32) throw new Error(`The ${what} must be at least 32 characters`);
  return secret;
}

/** The secret's HMAC key for jose's `jwtVerify`. */
export function hmacKey(secret: string, what: string): Promise<CryptoKey> {
  let key = keys.get(checked(secret, what));
  if (!key) {
    key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(secret, key);
  }
  return key;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');

/** A compact JWS of `claims` with `sub`, `aud`, `iat` and `exp` (`ttlSeconds` from now) added. */
export function signHs256(
  claims: Record<string, unknown>,
  registered: { sub: string; aud: string; ttlSeconds: number },
  secret: string,
  what: string,
): string {
  const iat = Math.floor(Date.now() / 1000);
  const payload = { ...claims, sub: registered.sub, aud: registered.aud, iat, exp: iat + registered.ttlSeconds };
  const input = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', checked(secret, what)).update(input).digest('base64url')}`;
}
