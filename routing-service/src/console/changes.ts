import { Changes } from '../acd/changes.ts';

/**
 * What a console change touched, to be published once it has committed: the organisation's
 * live view always; the caller adds the agents whose desktop shows what changed, and the
 * queues where a waiting call may now ring.
 */
export function reconfiguration(organisationId: string): Changes {
  const changes = new Changes();
  changes.reconfigured.add(organisationId);
  return changes;
}
