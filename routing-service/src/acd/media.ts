import type { MediaJoin } from '@cc/contracts';
import type { JoinClaims } from '@cc/contracts/join-token';

/** What the engine needs of the media tier: rooms per call and join tokens for them. */
export interface MediaRooms {
  /** Creates the call's room (idempotent) and returns a join for one participant. */
  join(roomId: string, claims: Omit<JoinClaims, 'room'>): Promise<MediaJoin>;
  /** Closes the room; an unknown room is not an error. */
  close(roomId: string, reason: string): Promise<void>;
}
