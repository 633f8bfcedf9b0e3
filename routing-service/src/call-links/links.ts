/**
 * Call links (SPEC §11): an unguessable token is the customer's credential. Only the token's
 * SHA-256 is stored; the clear token exists once, in the response that created the link.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CallLinkCreateRequest, CallLinkProblem, CallLinkView, PublicCallLink } from '@cc/contracts';
import type { CallLink } from '@cc/migrations';
import { AppError, notFound } from '../errors.ts';
import type { Db, Trx } from '../acd/db.ts';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');
/** 32 random bytes: 256 bits, not guessable. */
const newToken = () => randomBytes(32).toString('base64url');
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,100}$/;

export interface UsableCallLink {
  id: string;
  organisationId: string;
  routing: CallLink['routing'];
  queueId: string | null;
  createdBy: string;
  identity: string;
  conversationId: string | null;
  allowVideo: boolean;
}

const PROBLEM_MESSAGES: Record<CallLinkProblem, string> = {
  link_not_found: 'This link is not valid',
  link_used: 'This link has already been used',
  link_expired: 'This link has expired',
  link_revoked: 'This link has been revoked',
  link_not_yet_valid: 'This link is not active yet',
};

export function problemOf(link: CallLink | undefined, now: Date): CallLinkProblem | null {
  if (!link) return 'link_not_found';
  if (link.revoked_at) return 'link_revoked';
  if (link.type === 'one_time' && link.used_at) return 'link_used';
  if (link.valid_until && link.valid_until <= now) return 'link_expired';
  if (link.valid_from && link.valid_from > now) return 'link_not_yet_valid';
  return null;
}

async function findByToken(db: Db, token: string): Promise<CallLink | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  return db.selectFrom('call_link').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
}

/** What the public call page may know; never creates anything. */
export async function publicCallLink(db: Db, token: string, now: Date): Promise<PublicCallLink> {
  const link = await findByToken(db, token);
  const org = link
    ? await db.selectFrom('organisation').select(['name', 'brand_colour']).where('id', '=', link.organisation_id).executeTakeFirst()
    : undefined;
  const problem = problemOf(link, now);
  if (problem || !link || !org) return { usable: false, problem: problem ?? 'link_not_found', organisationName: org?.name ?? null };
  return { usable: true, organisationName: org.name, brandColour: org.brand_colour, allowVideo: link.allow_video, identity: link.identity };
}

/** What a check of a link vouches for until the call's start checks it again: these never change. */
export type CheckedCallLink = Pick<CallLink, 'identity' | 'allow_video'>;

/** Checks a token for a connecting customer without using it up. */
export async function checkCallLink(db: Db, token: string, now: Date): Promise<CallLink> {
  const link = await findByToken(db, token);
  const problem = problemOf(link, now);
  if (problem || !link) throw new AppError(problem ?? 'link_not_found', PROBLEM_MESSAGES[problem ?? 'link_not_found']);
  return link;
}

/**
 * Takes a link for a new call, in the caller's transaction: locks it, re-checks it, and marks a
 * one-time link used. One statement: the row as it was before (the check needs the old
 * `used_at`) and the mark. A link that fails the check throws, and the caller's rollback
 * takes the mark back.
 */
export async function consumeCallLink(trx: Trx, token: string, now: Date): Promise<UsableCallLink> {
  const link = TOKEN_SHAPE.test(token)
    ? await trx
        .with('l', (qb) => qb.selectFrom('call_link').selectAll().where('token_hash', '=', hashToken(token)).forUpdate())
        .with('used', (qb) =>
          qb
            .updateTable('call_link')
            .set({ used_at: now })
            .from('l')
            .whereRef('call_link.id', '=', 'l.id')
            .where('l.type', '=', 'one_time'),
        )
        .selectFrom('l')
        .selectAll()
        .executeTakeFirst()
    : undefined;
  const problem = problemOf(link, now);
  if (problem || !link) throw new AppError(problem ?? 'link_not_found', PROBLEM_MESSAGES[problem ?? 'link_not_found']);
  return {
    id: link.id,
    organisationId: link.organisation_id,
    routing: link.routing,
    queueId: link.queue_id,
    createdBy: link.created_by,
    identity: link.identity,
    conversationId: link.conversation_id,
    allowVideo: link.allow_video,
  };
}

export function toCallLinkView(link: CallLink, url?: string): CallLinkView {
  return {
    id: link.id,
    type: link.type,
    routing: link.routing,
    queueId: link.queue_id,
    identity: link.identity,
    validFrom: link.valid_from?.toISOString() ?? null,
    validUntil: link.valid_until?.toISOString() ?? null,
    usedAt: link.used_at?.toISOString() ?? null,
    revokedAt: link.revoked_at?.toISOString() ?? null,
    createdAt: link.created_at.toISOString(),
    allowVideo: link.allow_video,
    ...(url ? { url } : {}),
  };
}

export async function createCallLink(
  db: Db,
  creator: { id: string; organisationId: string },
  request: Required<Pick<CallLinkCreateRequest, 'type' | 'routing' | 'identity' | 'allowVideo'>> &
    Omit<CallLinkCreateRequest, 'type' | 'routing' | 'identity' | 'allowVideo'>,
  publicUrl: string,
  now: Date,
): Promise<CallLinkView> {
  if (request.queueId) {
    const queue = await db
      .selectFrom('queue')
      .select('id')
      .where('id', '=', request.queueId)
      .where('organisation_id', '=', creator.organisationId)
      .executeTakeFirst();
    if (!queue) throw notFound('Queue');
  }
  if (request.conversationId) {
    const conversation = await db
      .selectFrom('conversation')
      .select('id')
      .where('id', '=', request.conversationId)
      .where('organisation_id', '=', creator.organisationId)
      .executeTakeFirst();
    if (!conversation) throw notFound('Conversation');
  }
  if (request.validUntil && Date.parse(request.validUntil) <= now.getTime()) {
    throw new AppError('bad_request', 'validUntil must be in the future');
  }
  const token = newToken();
  const link = await db
    .insertInto('call_link')
    .values({
      organisation_id: creator.organisationId,
      token_hash: hashToken(token),
      type: request.type,
      routing: request.routing,
      queue_id: request.routing === 'routing_rules' ? (request.queueId ?? null) : null,
      created_by: creator.id,
      identity: request.identity,
      conversation_id: request.conversationId ?? null,
      allow_video: request.allowVideo,
      valid_from: request.validFrom ?? null,
      valid_until: request.validUntil ?? null,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toCallLinkView(link, `${publicUrl}/c/${token}`);
}

export async function revokeCallLink(
  db: Db,
  user: { id: string; organisationId: string; role: string },
  linkId: string,
  now: Date,
): Promise<CallLinkView> {
  const link = await db
    .selectFrom('call_link')
    .selectAll()
    .where('id', '=', linkId)
    .where('organisation_id', '=', user.organisationId)
    .executeTakeFirst();
  if (!link || (user.role === 'agent' && link.created_by !== user.id)) throw notFound('Call link');
  const updated = await db
    .updateTable('call_link')
    .set({ revoked_at: link.revoked_at ?? now })
    .where('id', '=', linkId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toCallLinkView(updated);
}
