/**
 * Resume credentials: the call-link page gets one when its call starts and presents it when
 * its socket reconnects (to any routing-service instance) or the page reloads, to take the
 * call back. HS256 JWT over the secret the routing service already signs join tokens with;
 * its own audience keeps the two apart (the SFU refuses a resume credential, the routing
 * service a join token). Only the routing service signs and verifies; browsers keep it opaque.
 */
import { signHs256, verifyHs256 } from './hs256.ts';
import { z } from 'zod';

const AUDIENCE = 'customer-resume';
/** Default lifetime: longer than any call; the call's own end is what retires it. */
export const RESUME_TOKEN_TTL_SECONDS = 12 * 3600;

export async function signResumeToken(callId: string, secret: string, ttlSeconds = RESUME_TOKEN_TTL_SECONDS): Promise<string> {
  return Promise.resolve(signHs256({}, { sub: z.uuid().parse(callId), aud: AUDIENCE, ttlSeconds }, secret));
}

/** The call id the credential is for; throws when it is forged, expired or malformed. */
export async function verifyResumeToken(token: string, secret: string): Promise<string> {
  const payload = await verifyHs256(token, secret, AUDIENCE);
  return z.uuid().parse(payload.sub);
}
