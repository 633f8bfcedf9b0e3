/**
 * A room's server-played audio: one Playback per participant id, produced on the room's
 * single DirectTransport. Owned by the Room, closed with it. A playback outlives its
 * participant's reconnection (a page reload hears the same music on).
 */
import { randomInt } from 'node:crypto';
import type { PlaybackProgram, PlaybackStarted } from '@cc/contracts';
import { SfuError } from '../errors.ts';
import { createDirectTransport, createPlaybackProducer, type DirectTransport, type Router } from '../mediasoup-adapter.ts';
import type { Pacer } from './Pacer.ts';
import { Playback, PLAYBACK_PAYLOAD_TYPE } from './Playback.ts';
import type { PromptLibrary } from './PromptLibrary.ts';

export interface PlaybackDeps {
  library: PromptLibrary;
  pacer: Pacer;
}

export interface PlaybackSummary {
  peerId: string;
  playing: boolean;
  packetsSent: number;
}

export class RoomPlaybacks {
  readonly #router: Router;
  readonly #deps: PlaybackDeps;
  readonly #creating = new Map<string, Promise<Playback>>();
  readonly #playbacks = new Map<string, Playback>();
  #transport: Promise<DirectTransport> | undefined;
  #closed = false;

  constructor(router: Router, deps: PlaybackDeps) {
    this.#router = router;
    this.#deps = deps;
  }

  /** The participant's playback, once created. */
  get(peerId: string): Playback | undefined {
    return this.#playbacks.get(peerId);
  }

  /**
   * Sets the participant's program, creating their playback first (`created` is then called
   * once, so the room can give the participant a consumer). Unknown prompts are refused
   * before anything changes.
   */
  async play(
    peerId: string,
    program: PlaybackProgram,
    created: (playback: Playback) => void,
    stillWanted: () => boolean = () => true,
  ): Promise<PlaybackStarted> {
    this.#deps.library.resolve([...program.intro, ...(program.loop ? [program.loop] : []), ...(program.interrupt?.prompts ?? [])]);
    const playback = this.#playbacks.get(peerId) ?? (await this.#create(peerId, created));
    // A newer request may have come while the playback was being created.
    if (!stillWanted()) return { introMs: 0, stale: true };
    return playback.set(program);
  }

  stop(peerId: string): void {
    this.#playbacks.get(peerId)?.stop();
  }

  summaries(): PlaybackSummary[] {
    return [...this.#playbacks.values()].map((p) => ({ peerId: p.peerId, playing: p.playing, packetsSent: p.packetsSent }));
  }

  /** Safe twice; the router's closing closes the transport and producers anyway. */
  close(): void {
    this.#closed = true;
    for (const playback of this.#playbacks.values()) playback.close();
    this.#playbacks.clear();
  }

  #create(peerId: string, created: (playback: Playback) => void): Promise<Playback> {
    let creation = this.#creating.get(peerId);
    if (!creation) {
      creation = (async () => {
        this.#transport ??= createDirectTransport(this.#router);
        const ssrc = randomInt(1, 0xffff_ffff);
        const producer = await createPlaybackProducer(await this.#transport, PLAYBACK_PAYLOAD_TYPE, ssrc);
        const playback = new Playback({ peerId, producer, ssrc, ...this.#deps });
        if (this.#closed) {
          playback.close();
          throw new SfuError('not_found', 'The room is closed');
        }
        this.#playbacks.set(peerId, playback);
        created(playback);
        return playback;
      })().finally(() => this.#creating.delete(peerId));
      this.#creating.set(peerId, creation);
    }
    return creation;
  }
}
