/**
 * Puts a leg's RTP back in sequence order: packets wait up to `holdMs` (by arrival time) for
 * late ones to overtake them. A packet that arrives after its turn has passed, or twice, is
 * dropped; a sequence gap is released as is (the writer fills the time it stands for).
 */
export interface BufferedPacket {
  ssrc: number;
  /** Extended (non-wrapping) sequence number. */
  seq: number;
  arrivalMs: number;
}

export class JitterBuffer<P extends BufferedPacket> {
  readonly #holdMs: number;
  readonly #maxPackets: number;
  #ssrc: number | undefined;
  #waiting: P[] = [];
  #lastReleased: number | undefined;
  /** Packets dropped for arriving too late or twice. */
  dropped = 0;

  constructor(options: { holdMs: number; maxPackets?: number }) {
    this.#holdMs = options.holdMs;
    this.#maxPackets = options.maxPackets ?? 500;
  }

  /** Adds a packet; returns the packets now due, in order. */
  push(packet: P): P[] {
    const released: P[] = [];
    if (packet.ssrc !== this.#ssrc) {
      // A new source (a peer's new producer) starts a new sequence space: the old one is done.
      released.push(...this.flush());
      this.#ssrc = packet.ssrc;
      this.#lastReleased = undefined;
    }
    if ((this.#lastReleased !== undefined && packet.seq <= this.#lastReleased) || this.#waiting.some((p) => p.seq === packet.seq)) {
      this.dropped++;
      return released;
    }
    let at = this.#waiting.length;
    while (at > 0 && (this.#waiting[at - 1]?.seq ?? 0) > packet.seq) at--;
    this.#waiting.splice(at, 0, packet);
    const newest = Math.max(...this.#waiting.map((p) => p.arrivalMs));
    while (this.#waiting.length > 0) {
      const head = this.#waiting[0];
      if (!head || (head.arrivalMs > newest - this.#holdMs && this.#waiting.length <= this.#maxPackets)) break;
      released.push(this.#release());
    }
    return released;
  }

  /** Everything still waiting, in order (at the end of a recording or a source). */
  flush(): P[] {
    const released: P[] = [];
    while (this.#waiting.length > 0) released.push(this.#release());
    return released;
  }

  #release(): P {
    const head = this.#waiting.shift() as P;
    this.#lastReleased = head.seq;
    return head;
  }
}
