import type { Notice } from '@cc/contracts';
import type { PlaybackIntent } from './waiting.ts';

/**
 * What one transaction changed, collected while it runs and acted on after it commits:
 * snapshots to push, queues to assign, media rooms to close, timers to wake for. The
 * supervisor console fills one too, so its changes reach desktops and live views the same way.
 */
export class Changes {
  readonly agents = new Set<string>();
  readonly calls = new Set<string>();
  readonly queues = new Set<string>();
  /** Organisations whose live view changed; the publisher derives them from `agents` and `calls`. */
  readonly organisations = new Set<string>();
  /**
   * Organisations whose configuration a supervisor changed (the console): their live view is
   * pushed to their supervisors on every instance, not only to those watching here.
   */
  readonly reconfigured = new Set<string>();
  readonly roomsToClose = new Map<string, string>();
  /** What to play to each call's customer (by call id; the last intent of the transaction wins). */
  readonly playbacks = new Map<string, PlaybackIntent>();
  readonly notices: { agentId: string; notice: Notice }[] = [];
  /**
   * Calls whose agent segment ended (a transfer took the call from its agent) or began (an
   * answer, or a failed transfer back to the first agent): each segment is recorded on its own.
   */
  readonly segmentsEnded = new Set<string>();
  readonly segmentsStarted = new Set<string>();
  /** Calls whose customer began a voicemail: their recording starts after commit. */
  readonly voicemails = new Set<string>();
  earliestTimer: Date | null = null;

  timerScheduled(dueAt: Date): void {
    if (!this.earliestTimer || dueAt < this.earliestTimer) this.earliestTimer = dueAt;
  }
}
