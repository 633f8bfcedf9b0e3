/**
 * Call history (SPEC §14): the filters, the pages of calls loaded so far (newest first) and
 * the timeline of the call opened. Agents see only their own calls (the server decides);
 * supervisors and admins may also filter by agent.
 */
import {
  callHistoryQuerySchema,
  describeIssues,
  type CallHistoryPage,
  type CallHistoryParams,
  type CallState,
  type CallSummary,
  type CallTimeline,
  type ConsoleAgent,
  type SessionUser,
} from '@cc/contracts';
import { api, errorMessage, withQuery } from '$lib/api/http';
import { localDayStart } from '$lib/format';
import type { QueueOption } from './call-links.svelte';

/** Supervisors and admins see every call of the organisation and filter by agent. */
export function seesAllCalls(user: SessionUser): boolean {
  return user.role === 'supervisor' || user.role === 'admin';
}

/** The filter form's values; empty means "any". `from` and `to` are local dates (`yyyy-mm-dd`), both days included. */
export interface HistoryFilters {
  queueId: string;
  agentId: string;
  state: CallState | '';
  from: string;
  to: string;
}

const NO_FILTERS: HistoryFilters = { queueId: '', agentId: '', state: '', from: '', to: '' };

/** The filters' options: the queues, and the agents for those who see every agent's (none on failure). */
export async function filterOptions(seesAll: boolean): Promise<{ queues: QueueOption[]; agents: ConsoleAgent[] }> {
  const [queues, agents] = await Promise.allSettled([
    api<QueueOption[]>('GET', '/queues'),
    seesAll ? api<ConsoleAgent[]>('GET', '/console/agents') : Promise.resolve([]),
  ]);
  return {
    queues: queues.status === 'fulfilled' ? queues.value : [],
    agents: agents.status === 'fulfilled' ? agents.value : [],
  };
}

export class CallHistory {
  readonly #user: SessionUser;
  #filters = $state<HistoryFilters>({ ...NO_FILTERS });
  /** The filters of the calls on screen: "Load more" keeps them even if the form changed. */
  #applied: CallHistoryParams = {};
  #calls = $state.raw<CallSummary[]>([]);
  #nextCursor = $state<string | null>(null);
  #loading = $state(false);
  #loaded = $state(false);
  #error = $state<string | null>(null);
  #queues = $state.raw<QueueOption[]>([]);
  #agents = $state.raw<ConsoleAgent[]>([]);
  #timeline = $state.raw<CallTimeline | null>(null);
  #timelineLoading = $state<string | null>(null);
  #timelineError = $state<string | null>(null);

  constructor(user: SessionUser) {
    this.#user = user;
  }

  get seesAll(): boolean {
    return seesAllCalls(this.#user);
  }
  /** Bound to the filter form. */
  get filters(): HistoryFilters {
    return this.#filters;
  }
  get calls(): CallSummary[] {
    return this.#calls;
  }
  get hasMore(): boolean {
    return this.#nextCursor !== null;
  }
  get loading(): boolean {
    return this.#loading;
  }
  /** True once the first page has arrived. */
  get loaded(): boolean {
    return this.#loaded;
  }
  get error(): string | null {
    return this.#error;
  }
  get queues(): QueueOption[] {
    return this.#queues;
  }
  /** The organisation's agents, for the Agent filter; empty for agents. */
  get agents(): ConsoleAgent[] {
    return this.#agents;
  }
  /** The timeline open in the panel, or null. */
  get timeline(): CallTimeline | null {
    return this.#timeline;
  }
  /** The call whose timeline is loading, or null. */
  get timelineLoading(): string | null {
    return this.#timelineLoading;
  }
  get timelineError(): string | null {
    return this.#timelineError;
  }

  /** Filter options and the first page. */
  async load(): Promise<void> {
    const options = await filterOptions(this.seesAll);
    this.#queues = options.queues;
    this.#agents = options.agents;
    await this.apply();
  }

  /** Runs the form's filters from the newest call; a bad filter says why and keeps the list. */
  async apply(): Promise<void> {
    const f = this.#filters;
    const params: CallHistoryParams = {
      ...(f.queueId ? { queueId: f.queueId } : {}),
      ...(f.agentId && this.seesAll ? { agentId: f.agentId } : {}),
      ...(f.state ? { state: f.state } : {}),
      ...(f.from ? { from: localDayStart(f.from) } : {}),
      // "To" includes its whole day.
      ...(f.to ? { to: localDayStart(f.to, 1) } : {}),
    };
    const checked = callHistoryQuerySchema.safeParse(params);
    if (!checked.success) {
      this.#error = describeIssues(checked.error).replace('From must be before To.', 'The From date must not be after the To date.');
      return;
    }
    this.#applied = params;
    await this.#fetch(null);
  }

  async loadMore(): Promise<void> {
    if (this.#nextCursor) await this.#fetch(this.#nextCursor);
  }

  async openTimeline(callId: string): Promise<void> {
    this.#timelineLoading = callId;
    this.#timelineError = null;
    try {
      this.#timeline = await api<CallTimeline>('GET', `/calls/${encodeURIComponent(callId)}/timeline`);
    } catch (error) {
      this.#timeline = null;
      this.#timelineError = errorMessage(error);
    } finally {
      this.#timelineLoading = null;
    }
  }

  closeTimeline(): void {
    this.#timeline = null;
    this.#timelineError = null;
  }

  async #fetch(before: string | null): Promise<void> {
    this.#loading = true;
    this.#error = null;
    try {
      const page = await api<CallHistoryPage>('GET', withQuery('/calls', { ...this.#applied, ...(before ? { before } : {}) }));
      this.#calls = before ? [...this.#calls, ...page.calls] : page.calls;
      this.#nextCursor = page.nextCursor;
      this.#loaded = true;
    } catch (error) {
      this.#error = errorMessage(error);
    } finally {
      this.#loading = false;
    }
  }
}
