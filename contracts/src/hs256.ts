/**
 * HS256 JSON Web Tokens over the media secret (join tokens and resume credentials). Signing is
 * done here with node:crypto's HMAC: jose signs through WebCrypto, whose asynchronous round
 * trip costs tens of times the HMAC itself, and every call signs several tokens. Verifying
 * stays with jose, with the secret's key imported once rather than on every verification.
 */
import { createHmac, webcrypto } from 'node:crypto';
import { jwtVerify, type JWTPayload } from 'jose';

type CryptoKey = webcrypto.CryptoKey;
const keys = new Map<string, Promise<CryptoKey>>();

function checked(secret: string): string {
  if (secret.length < 32) throw new Error('The media secret must be at least 32 characters');
  return secret;
}

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(checked(secret));
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
): string {
  const iat = Math.floor(Date.now() / 1000);
  const payload = { ...claims, sub: registered.sub, aud: registered.aud, iat, exp: iat + registered.ttlSeconds };
  const input = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', checked(secret)).update(input).digest('base64url')}`;
}

/** The token's claims; throws when it is forged, expired, malformed or for another audience. */
export async function verifyHs256(token: string, secret: string, audience: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, await hmacKey(secret), { audience, algorithms: ['HS256'] });
  return payload;
}
