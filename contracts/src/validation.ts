import type { z } from 'zod';

/** zod's own messages name no field; ours are whole sentences that do. */
const GENERIC = /^(Invalid|Too (small|big)|Expected|Unrecognized|Required)/;

/** One readable line for a failed parse: our sentences as they are, zod's prefixed with the field. */
export function describeIssues(error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const field = issue.path.join('.');
    return GENERIC.test(issue.message) && field ? `${field}: ${issue.message}` : issue.message;
  });
  return [...new Set(lines)].join(' ');
}
