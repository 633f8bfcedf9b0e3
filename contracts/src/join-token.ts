/**
 * Join tokens: the routing service decides who may join which media room and signs a
 * short-lived token; the SFU verifies it. HS256 JWT over a secret both services share.
 */
import { signHs256, verifyHs256 } from './hs256.ts';
import { z } from 'zod';
import { JOIN_ROLES } from './sfu-protocol.ts';

export const joinClaimsSchema = z.object({
  room: z.string().min(1).max(64),
  /** Peer id inside the room (user id for agents, call id for customers). */
  sub: z.string().min(1).max(64),
  name: z.string().max(200),
  role: z.enum(JOIN_ROLES),
  /** Kinds this peer may publish. */
  publish: z.array(z.enum(['audio', 'video'])).max(2),
});
export type JoinClaims = z.infer<typeof joinClaimsSchema>;

const AUDIENCE = 'sfu';
/** Default lifetime: enough to join, not enough to be replayed later. */
export const JOIN_TOKEN_TTL_SECONDS = 120;

export async function signJoinToken(claims: JoinClaims, secret: string, ttlSeconds = JOIN_TOKEN_TTL_SECONDS): Promise<string> {
  const { sub, ...rest } = joinClaimsSchema.parse(claims);
  return Promise.resolve(signHs256(rest, { sub, aud: AUDIENCE, ttlSeconds }, secret));
}

/** Throws when the token is forged, expired or malformed. */
export async function verifyJoinToken(token: string, secret: string): Promise<JoinClaims> {
  const payload = await verifyHs256(token, secret, AUDIENCE);
  return joinClaimsSchema.parse(payload);
}
