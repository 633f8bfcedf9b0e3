/**
 * What the server plays to one participant of a call: an intro (greeting) once, then a loop
 * (music) interrupted every N seconds by an announcement, as RTP packets of pre-encoded Opus
 * sent at real-time pace into a producer on the room's DirectTransport. Only that participant
 * consumes the producer. Packets are copied from the Ogg file as they are (no transcoding);
 * sequence numbers and timestamps run on across prompts and programs, as one stream.
 */
import { randomInt } from 'node:crypto';
import type { PlaybackProgram, PlaybackStarted } from '@cc/contracts';
import type { Producer } from '../mediasoup-adapter.ts';
import type { OggOpus, OpusPacket } from './ogg-opus.ts';
import type { Paced, Pacer } from './Pacer.ts';
import type { PromptLibrary } from './PromptLibrary.ts';

/** Payload type of the playback producer's Opus (any dynamic type; the router maps it for consumers). */
export const PLAYBACK_PAYLOAD_TYPE = 100;
/** After a stall longer than this (a blocked event loop), skip ahead rather than burst the backlog. */
const MAX_BACKLOG_MS = 200;
const SAMPLES_PER_MS = 48;
/** 20 ms of Opus silence (CELT, one frame): the "loop" between announcements when there is no music. */
const SILENCE: OggOpus = { channels: 1, durationMs: 20, packets: [{ data: Buffer.from([0xf8, 0xff, 0xfe]), samples: 960 }] };
const SILENCE_HASH = '@silence';

interface Cursor {
  prompt: OggOpus;
  index: number;
}

export class Playback implements Paced {
  readonly peerId: string;
  readonly producer: Producer;
  readonly ssrc: number;
  readonly #library: PromptLibrary;
  readonly #pacer: Pacer;
  /** Intro or announcement prompts still to play before the loop goes on. */
  #queue: Cursor[] = [];
  #loop: { hash: string; cursor: Cursor } | undefined;
  #interrupt: { everyMs: number; prompts: OggOpus[] } | undefined;
  #musicSinceInterruptMs = 0;
  #started = false;
  #closed = false;
  /** performance.now() time the next packet is due; undefined while nothing plays. */
  #nextDueAt: number | undefined;
  #idleSince: number | undefined;
  #sequence = randomInt(0, 0x10000);
  #timestamp = randomInt(0, 0x1_0000_0000);
  #marker = true;
  #packetsSent = 0;

  constructor(options: { peerId: string; producer: Producer; ssrc: number; library: PromptLibrary; pacer: Pacer }) {
    this.peerId = options.peerId;
    this.producer = options.producer;
    this.ssrc = options.ssrc;
    this.#library = options.library;
    this.#pacer = options.pacer;
  }

  get packetsSent(): number {
    return this.#packetsSent;
  }

  /** True while there is something to play (intro, announcement or loop). */
  get playing(): boolean {
    return this.#queue.length > 0 || this.#loop !== undefined;
  }

  /**
   * Replaces the program. With no intro and the loop already playing, the music goes on where
   * it is and only the announcement changes (a new position in the queue, say).
   */
  set(program: PlaybackProgram): PlaybackStarted {
    const intro = this.#library.resolve(program.intro);
    const [loop] = program.loop ? this.#library.resolve([program.loop]) : [];
    const interrupt = program.interrupt
      ? { everyMs: program.interrupt.everySeconds * 1000, prompts: this.#library.resolve(program.interrupt.prompts) }
      : undefined;
    // Announcements without music: silence between them.
    const loopHash = program.loop ?? (interrupt ? SILENCE_HASH : null);
    const loopPrompt = loop ?? (interrupt ? SILENCE : undefined);
    const continuing = intro.length === 0 && loopHash !== null && this.#loop?.hash === loopHash;
    this.#interrupt = interrupt;
    if (!continuing) {
      this.#queue = intro.map((prompt) => ({ prompt, index: 0 }));
      this.#loop = loopPrompt && loopHash ? { hash: loopHash, cursor: { prompt: loopPrompt, index: 0 } } : undefined;
      this.#musicSinceInterruptMs = 0;
      this.#marker = true;
    }
    return { introMs: intro.reduce((sum, prompt) => sum + prompt.durationMs, 0) };
  }

  /** Silence at once; the producer stays for the next program. */
  stop(): void {
    this.#queue = [];
    this.#loop = undefined;
    this.#interrupt = undefined;
  }

  /** Called once the participant's consumer exists: the program starts from its beginning now. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#pacer.add(this);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pacer.remove(this);
    this.producer.close();
  }

  tick(now: number): void {
    if (this.#closed || this.producer.closed) return;
    if (!this.playing) {
      if (this.#nextDueAt !== undefined) {
        this.#nextDueAt = undefined;
        this.#idleSince = now;
      }
      return;
    }
    if (this.#nextDueAt === undefined) {
      // Resuming after silence: the RTP clock moves on by the silence, marked as a new talk spurt.
      if (this.#idleSince !== undefined) this.#timestamp = (this.#timestamp + Math.round((now - this.#idleSince) * SAMPLES_PER_MS)) >>> 0;
      this.#nextDueAt = now;
      this.#marker = true;
    } else if (now - this.#nextDueAt > MAX_BACKLOG_MS) {
      this.#timestamp = (this.#timestamp + Math.round((now - this.#nextDueAt) * SAMPLES_PER_MS)) >>> 0;
      this.#nextDueAt = now;
    }
    while (this.#nextDueAt <= now) {
      const packet = this.#nextPacket();
      if (!packet) break;
      this.producer.send(this.#rtp(packet));
      this.#packetsSent += 1;
      this.#sequence = (this.#sequence + 1) & 0xffff;
      this.#timestamp = (this.#timestamp + packet.samples) >>> 0;
      this.#nextDueAt += packet.samples / SAMPLES_PER_MS;
    }
  }

  #nextPacket(): OpusPacket | undefined {
    const head = this.#queue[0];
    if (head) {
      const packet = head.prompt.packets[head.index];
      head.index += 1;
      if (head.index >= head.prompt.packets.length) {
        this.#queue.shift();
        if (this.#queue.length === 0) this.#musicSinceInterruptMs = 0;
      }
      return packet;
    }
    const loop = this.#loop;
    if (!loop) return undefined;
    if (this.#interrupt && this.#musicSinceInterruptMs >= this.#interrupt.everyMs) {
      this.#queue = this.#interrupt.prompts.map((prompt) => ({ prompt, index: 0 }));
      return this.#nextPacket();
    }
    const packet = loop.cursor.prompt.packets[loop.cursor.index] as OpusPacket;
    loop.cursor.index = (loop.cursor.index + 1) % loop.cursor.prompt.packets.length;
    this.#musicSinceInterruptMs += packet.samples / SAMPLES_PER_MS;
    return packet;
  }

  #rtp(packet: OpusPacket): Buffer {
    const header = Buffer.allocUnsafe(12);
    header[0] = 0x80; // version 2, no padding, no extension, no CSRC
    header[1] = (this.#marker ? 0x80 : 0) | PLAYBACK_PAYLOAD_TYPE;
    header.writeUInt16BE(this.#sequence, 2);
    header.writeUInt32BE(this.#timestamp, 4);
    header.writeUInt32BE(this.ssrc, 8);
    this.#marker = false;
    return Buffer.concat([header, packet.data]);
  }
}
