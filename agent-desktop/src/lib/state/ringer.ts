/**
 * The incoming-call ring: a two-tone cadence (440 + 480 Hz, 2 s on / 4 s off, as a phone
 * rings) generated with Web Audio oscillators, so no audio file is needed.
 */
const TONES_HZ = [440, 480] as const;
const ON_S = 2;
const CYCLE_S = 6;
const CYCLES_AHEAD = 20;

export class Ringer {
  #context: AudioContext | null = null;
  #gain: GainNode | null = null;
  #oscillators: OscillatorNode[] = [];

  get ringing(): boolean {
    return this.#oscillators.length > 0;
  }

  start(): void {
    if (this.ringing) return;
    try {
      this.#context ??= new AudioContext();
      const context = this.#context;
      // Browsers suspend a context made without a user gesture; resume is a no-op otherwise.
      void context.resume().catch(() => undefined);
      const gain = context.createGain();
      gain.gain.value = 0;
      const t0 = context.currentTime + 0.05;
      for (let i = 0; i < CYCLES_AHEAD; i++) {
        const on = t0 + i * CYCLE_S;
        gain.gain.setValueAtTime(0, on);
        gain.gain.linearRampToValueAtTime(0.12, on + 0.02);
        gain.gain.setValueAtTime(0.12, on + ON_S - 0.02);
        gain.gain.linearRampToValueAtTime(0, on + ON_S);
      }
      gain.connect(context.destination);
      this.#gain = gain;
      this.#oscillators = TONES_HZ.map((hz) => {
        const osc = context.createOscillator();
        osc.type = 'sine';
        osc.frequency.value = hz;
        osc.connect(gain);
        osc.start(t0);
        return osc;
      });
    } catch {
      // No Web Audio (or blocked): the pulsing pop-up still says it is ringing.
      this.stop();
    }
  }

  /** Stops at once; safe to call when not ringing. */
  stop(): void {
    for (const osc of this.#oscillators) {
      try {
        osc.stop();
        osc.disconnect();
      } catch {
        // already stopped
      }
    }
    this.#oscillators = [];
    this.#gain?.disconnect();
    this.#gain = null;
  }
}
