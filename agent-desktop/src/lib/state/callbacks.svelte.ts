/**
 * The callback list (SPEC §10, listing part): callback requests and voicemails, newest first,
 * filtered by kind, status and queue. Agents get their queues' requests (the server decides).
 * While a voicemail is still being left or processed, the list looks again every few seconds
 * so its player appears on its own.
 */
import type { CallbackRequestKind, CallbackRequestView, CallbackStatus, SessionUser } from '@cc/contracts';
import { api, errorMessage, withQuery } from '$lib/api/http';
import type { QueueOption } from './call-links.svelte';
import { filterOptions, seesAllCalls } from './call-history.svelte';

/** How often a list with a voicemail in progress is reloaded. */
const PENDING_POLL_MS = 2000;

/** The filter form; empty means "any". */
export interface CallbackFilterForm {
  kind: CallbackRequestKind | '';
  status: CallbackStatus | '';
  queueId: string;
}

export const CALLBACK_STATUS_LABELS: Record<CallbackStatus, string> = {
  in_queue: 'In queue',
  assigned: 'Assigned',
  active: 'Active',
  no_reply: 'No reply',
  done: 'Done',
};

export class CallbackList {
  readonly seesAll: boolean;
  #form = $state<CallbackFilterForm>({ kind: '', status: 'in_queue', queueId: '' });
  #applied: CallbackFilterForm = { kind: '', status: 'in_queue', queueId: '' };
  #queues = $state.raw<QueueOption[]>([]);
  #items = $state.raw<CallbackRequestView[]>([]);
  #loading = $state(false);
  #loaded = $state(false);
  #error = $state<string | null>(null);
  #poll: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(user: SessionUser) {
    this.seesAll = seesAllCalls(user);
  }

  /** Bound to the filter form. */
  get form(): CallbackFilterForm {
    return this.#form;
  }
  get queues(): QueueOption[] {
    return this.#queues;
  }
  get items(): CallbackRequestView[] {
    return this.#items;
  }
  get loading(): boolean {
    return this.#loading;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get error(): string | null {
    return this.#error;
  }

  /** The filter options, then the list with the form's filters. */
  async load(): Promise<void> {
    this.#queues = (await filterOptions(false)).queues;
    await this.apply();
  }

  async apply(): Promise<void> {
    this.#applied = { ...this.#form };
    this.#loaded = false;
    await this.#fetch();
  }

  /** Stops reloading (the list left the screen). Safe twice. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#poll);
  }

  async #fetch(): Promise<void> {
    clearTimeout(this.#poll);
    this.#loading = true;
    this.#error = null;
    try {
      this.#items = await api<CallbackRequestView[]>('GET', withQuery('/callbacks', { ...this.#applied }));
      this.#loaded = true;
    } catch (error) {
      this.#error = errorMessage(error);
    } finally {
      this.#loading = false;
    }
    const pending = this.#items.some(
      (r) => r.recordingInProgress || (r.kind === 'voicemail' && (r.voicemail === null || r.voicemail.status === 'processing')),
    );
    if (!this.#closed && pending) this.#poll = setTimeout(() => void this.#fetch(), PENDING_POLL_MS);
  }
}
