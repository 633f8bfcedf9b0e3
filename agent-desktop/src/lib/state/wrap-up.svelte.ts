/** The agent's edits to a wrap-up (notes, conversation status, rating), saved debounced. */
import type { ConversationStatus, WrapUpUpdateRequest, WrapUpView } from '@cc/contracts';

/** Quiet time after the last keystroke before edits are saved, in ms. */
const SAVE_DEBOUNCE_MS = 600;

type Patch = Omit<WrapUpUpdateRequest, 'callId'>;

export class WrapUpEditor {
  #callId: string | null = null;
  #notes = $state('');
  #conversationStatus = $state<ConversationStatus>('open');
  #rating = $state<number | null>(null);
  #saving = $state(false);
  #error = $state<string | null>(null);
  #patch: Patch = {};
  #timer: ReturnType<typeof setTimeout> | null = null;
  #inFlight: Promise<void> = Promise.resolve();
  readonly #send: (request: WrapUpUpdateRequest) => Promise<WrapUpView>;

  constructor(send: (request: WrapUpUpdateRequest) => Promise<WrapUpView>) {
    this.#send = send;
  }

  get notes(): string {
    return this.#notes;
  }
  set notes(value: string) {
    this.#notes = value;
    this.#change({ notes: value });
  }

  get conversationStatus(): ConversationStatus {
    return this.#conversationStatus;
  }
  set conversationStatus(value: ConversationStatus) {
    this.#conversationStatus = value;
    this.#change({ conversationStatus: value });
  }

  get rating(): number | null {
    return this.#rating;
  }
  set rating(value: number | null) {
    this.#rating = value;
    this.#change({ rating: value });
  }

  get saving(): boolean {
    return this.#saving;
  }

  get error(): string | null {
    return this.#error;
  }

  /** Follows the snapshot: a new wrap-up loads its fields; the same one keeps local edits. */
  sync(view: WrapUpView | null): void {
    if (!view) {
      this.#reset(null);
      return;
    }
    if (view.callId === this.#callId) return;
    this.#reset(view.callId);
    this.#notes = view.notes;
    this.#conversationStatus = view.conversationStatus;
    this.#rating = view.rating;
  }

  /** Saves pending edits now (before the wrap-up closes); resolves once every save has landed. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const callId = this.#callId;
    const patch = this.#patch;
    this.#patch = {};
    // Saves run one after another so the last edit wins and "Close" waits for all of them.
    const previous = this.#inFlight;
    const run = (async () => {
      await previous;
      if (!callId || Object.keys(patch).length === 0) return;
      this.#saving = true;
      try {
        await this.#send({ callId, ...patch });
        this.#error = null;
      } catch (error) {
        this.#error = error instanceof Error ? error.message : 'The wrap-up could not be saved.';
      } finally {
        this.#saving = false;
      }
    })();
    this.#inFlight = run;
    await run;
  }

  #change(patch: Patch): void {
    this.#patch = { ...this.#patch, ...patch };
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.flush(), SAVE_DEBOUNCE_MS);
  }

  #reset(callId: string | null): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#patch = {};
    this.#callId = callId;
    this.#notes = '';
    this.#conversationStatus = 'open';
    this.#rating = null;
    this.#error = null;
  }
}
