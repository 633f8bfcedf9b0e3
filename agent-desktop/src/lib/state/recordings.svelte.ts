/**
 * Recordings (SPEC §13) as a list: one conversation's (the timeline panel) or the filtered
 * global list. Files still being processed are looked at again every few seconds, so "being
 * processed" turns into a player on its own. Agents get only their own (the server decides);
 * supervisors and admins may delete.
 */
import type { ConsoleAgent, RecordingDeletionRecord, RecordingSummary, SessionUser } from '@cc/contracts';
import { api, errorMessage, withQuery } from '$lib/api/http';
import type { QueueOption } from './call-links.svelte';
import { localDayStart } from '$lib/format';
import { filterOptions, seesAllCalls } from './call-history.svelte';

/** How often a list with a file being processed is reloaded. */
const PROCESSING_POLL_MS = 2000;

export type RecordingFilter = Partial<Record<'conversationId' | 'callId' | 'agentId' | 'queueId' | 'from' | 'to', string>>;

export const fileUrl = (id: string, download = false) => `/api/recordings/${encodeURIComponent(id)}/file${download ? '?download=1' : ''}`;
export const metadataUrl = (id: string) => `/api/recordings/${encodeURIComponent(id)}/metadata.csv`;

export class RecordingList {
  readonly canDelete: boolean;
  #filter: RecordingFilter = {};
  #items = $state.raw<RecordingSummary[]>([]);
  #loading = $state(false);
  #loaded = $state(false);
  #error = $state<string | null>(null);
  #confirming = $state<string | null>(null);
  #poll: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(user: SessionUser) {
    // Supervisors and admins: the same people who see every call.
    this.canDelete = seesAllCalls(user);
  }

  get items(): RecordingSummary[] {
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
  /** The recording whose deletion waits for confirmation, or null. */
  get confirming(): string | null {
    return this.#confirming;
  }

  /** Loads the recordings matching `filter` (and keeps it for reloads). */
  async load(filter: RecordingFilter): Promise<void> {
    this.#filter = filter;
    this.#loaded = false;
    await this.#fetch();
  }

  askDelete(id: string | null): void {
    this.#confirming = id;
  }

  async delete(id: string): Promise<void> {
    this.#error = null;
    try {
      await api<RecordingDeletionRecord>('DELETE', `/recordings/${encodeURIComponent(id)}`);
      this.#items = this.#items.filter((r) => r.id !== id);
    } catch (error) {
      this.#error = errorMessage(error);
    } finally {
      this.#confirming = null;
    }
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
      this.#items = await api<RecordingSummary[]>('GET', withQuery('/recordings', this.#filter));
      this.#loaded = true;
    } catch (error) {
      this.#error = errorMessage(error);
    } finally {
      this.#loading = false;
    }
    if (!this.#closed && this.#items.some((r) => r.status === 'processing')) {
      this.#poll = setTimeout(() => void this.#fetch(), PROCESSING_POLL_MS);
    }
  }
}

/** The form of the global recordings list; empty means "any". Dates are local `yyyy-mm-dd`, both days included. */
export interface RecordingFilterForm {
  agentId: string;
  queueId: string;
  from: string;
  to: string;
}

/** The global recordings list (SPEC §13): filter options, the form, and the list it shows. */
export class RecordingBrowser {
  readonly list: RecordingList;
  readonly seesAll: boolean;
  #form = $state<RecordingFilterForm>({ agentId: '', queueId: '', from: '', to: '' });
  #queues = $state.raw<QueueOption[]>([]);
  #agents = $state.raw<ConsoleAgent[]>([]);

  constructor(user: SessionUser) {
    this.list = new RecordingList(user);
    this.seesAll = seesAllCalls(user);
  }

  /** Bound to the filter form. */
  get form(): RecordingFilterForm {
    return this.#form;
  }
  get queues(): QueueOption[] {
    return this.#queues;
  }
  get agents(): ConsoleAgent[] {
    return this.#agents;
  }

  async load(): Promise<void> {
    const options = await filterOptions(this.seesAll);
    this.#queues = options.queues;
    this.#agents = options.agents;
    await this.apply();
  }

  apply(): Promise<void> {
    const f = this.#form;
    return this.list.load({
      ...(f.agentId && this.seesAll ? { agentId: f.agentId } : {}),
      ...(f.queueId ? { queueId: f.queueId } : {}),
      ...(f.from ? { from: localDayStart(f.from) } : {}),
      // "To" includes its whole day.
      ...(f.to ? { to: localDayStart(f.to, 1) } : {}),
    });
  }
}
