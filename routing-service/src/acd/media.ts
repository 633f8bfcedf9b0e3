import type { MediaJoin, PlaybackProgramInput, PlaybackStarted } from '@cc/contracts';
import type { JoinClaims } from '@cc/contracts/join-token';

/** What the engine needs of the media tier: rooms per call and join tokens for them. */
export interface MediaRooms {
  /** Creates the call's room (idempotent) and returns a join for one participant. */
  join(roomId: string, claims: Omit<JoinClaims, 'room'>): Promise<MediaJoin>;
  /** Closes the room; an unknown room is not an error. */
  close(roomId: string, reason: string): Promise<void>;
  /** Plays a program (prompt audio hashes) to one participant; replaces what played before. */
  play(roomId: string, peerId: string, program: PlaybackProgramInput): Promise<PlaybackStarted>;
  /** Silences what is played to the participant. `version` orders requests (see PlaybackProgram). */
  stopPlayback(roomId: string, peerId: string, version?: number): Promise<void>;
  /** On hold: the participant neither hears nor is heard (playback still reaches them). */
  setIsolated(roomId: string, peerId: string, isolated: boolean, version?: number): Promise<void>;
}
