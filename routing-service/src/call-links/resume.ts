/**
 * Customers' resume credentials: what lets a call-link page take its call back after its
 * socket dropped, its routing-service instance died, or the page reloaded. A credential names
 * one call and is only good together with the link that call came from, and only while the
 * call is not over; a one-time link being used up does not matter here.
 */
import { FINAL_CALL_STATES } from '@cc/contracts';
import { signResumeToken, verifyResumeToken } from '@cc/contracts/resume-token';
import type { Db } from '../acd/db.ts';
import { AppError } from '../errors.ts';
import { hashToken } from './links.ts';

export interface ResumeCredentials {
  /** A credential for the call, handed to the page that is in it. */
  issue(callId: string): Promise<string>;
  /** The call a credential presented with `linkToken` takes back; throws `resume_refused` or `call_ended`. */
  check(db: Db, linkToken: string, resume: string): Promise<string>;
}

export function resumeCredentials(secret: string): ResumeCredentials {
  return {
    issue: (callId) => signResumeToken(callId, secret),
    async check(db, linkToken, resume) {
      const callId = await verifyResumeToken(resume, secret).catch(() => {
        throw refused();
      });
      const call = await db
        .selectFrom('call as c')
        .innerJoin('call_link as l', 'l.id', 'c.call_link_id')
        .select('c.state')
        .where('c.id', '=', callId)
        .where('l.token_hash', '=', hashToken(linkToken))
        .executeTakeFirst();
      if (!call) throw refused();
      if (FINAL_CALL_STATES.includes(call.state)) throw new AppError('call_ended', 'This call has ended');
      return callId;
    },
  };
}

const refused = () => new AppError('resume_refused', 'This call cannot be resumed from here');
