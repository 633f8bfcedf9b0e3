/**
 * The supervisor console's queue and agent configuration (SPEC §3, §14): the queue list, the
 * queue being edited (or created) with its member set, and per-agent capacity and wrap-up.
 * Bodies are checked here with the server's own schemas (same sentences, no round trip); the
 * server checks again.
 */
import {
  agentUpdateSchema,
  describeIssues,
  queueCreateSchema,
  queueMembersSetSchema,
  queueUpdateSchema,
  SERVICE_LEVEL_RANGE,
  TIER_RANGE,
  type AgentRecordingOverride,
  type AgentUpdateRequest,
  type ConsoleAgent,
  type OrganisationSettings,
  type QueueDetail,
  type QueueMembersSetRequest,
  type QueueStrategy,
  type SessionUser,
} from '@cc/contracts';
import { api, errorMessage } from '$lib/api/http';

/** How long a "saved" confirmation stays on screen. */
const SUCCESS_MS = 4000;

/** Supervisors and admins configure the center; agents do not. */
export function canUseConsole(user: SessionUser): boolean {
  return user.role === 'supervisor' || user.role === 'admin';
}

export interface MemberDraft {
  selected: boolean;
  priority: number;
}

/** The queue form's values; `members` holds every agent of the organisation, selected or not. */
export interface QueueDraft {
  id: string | null;
  isDefault: boolean;
  name: string;
  strategy: QueueStrategy;
  aaaEnabled: boolean;
  missedCallAway: boolean;
  serviceLevelSeconds: number | null;
  /** Null: the organisation's Default hold configuration. */
  holdConfigurationId: string | null;
  members: Record<string, MemberDraft>;
}

export interface AgentDraft {
  capacity: number | null;
  /** Empty means the organisation's default. */
  wrapUpSeconds: number | null | '';
  /** Empty means the organisation's recording setting. */
  recordingOverride: AgentRecordingOverride | '';
}

/** A short-lived message of one section: an error stays until the next action, a success fades. */
export class Feedback {
  #error = $state<string | null>(null);
  #success = $state<string | null>(null);
  #timer: ReturnType<typeof setTimeout> | undefined;

  get error(): string | null {
    return this.#error;
  }
  get success(): string | null {
    return this.#success;
  }
  clear(): void {
    this.#error = null;
    this.#success = null;
    clearTimeout(this.#timer);
  }
  fail(message: string): void {
    this.clear();
    this.#error = message;
  }
  succeed(message: string): void {
    this.clear();
    this.#success = message;
    this.#timer = setTimeout(() => (this.#success = null), SUCCESS_MS);
  }
}

export class SupervisorConsole {
  #queues = $state.raw<QueueDetail[]>([]);
  #agents = $state.raw<ConsoleAgent[]>([]);
  #loaded = $state(false);
  #loadError = $state<string | null>(null);
  #draft = $state<QueueDraft | null>(null);
  #agentDrafts = $state<Record<string, AgentDraft>>({});
  #pending = $state<string | null>(null);
  #organisationWrapUpSeconds = $state<number | null>(null);
  readonly queueFeedback = new Feedback();
  readonly agentFeedback = new Feedback();

  /** The organisation's wrap-up time, which an empty override means; null until loaded. */
  get organisationWrapUpSeconds(): number | null {
    return this.#organisationWrapUpSeconds;
  }
  get queues(): QueueDetail[] {
    return this.#queues;
  }
  get agents(): ConsoleAgent[] {
    return this.#agents;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get loadError(): string | null {
    return this.#loadError;
  }
  /** The queue being edited, or a new one (`id` null); null when none is selected. */
  get draft(): QueueDraft | null {
    return this.#draft;
  }
  get agentDrafts(): Record<string, AgentDraft> {
    return this.#agentDrafts;
  }
  /** What is being saved: `queue`, `delete`, or an agent id; null when idle. */
  get pending(): string | null {
    return this.#pending;
  }

  async load(): Promise<void> {
    try {
      const [queues, agents, settings] = await Promise.all([
        api<QueueDetail[]>('GET', '/console/queues'),
        api<ConsoleAgent[]>('GET', '/console/agents'),
        api<OrganisationSettings>('GET', '/settings'),
      ]);
      this.#organisationWrapUpSeconds = settings.wrapUpSeconds;
      this.#queues = queues;
      this.#setAgents(agents);
      this.#loaded = true;
      this.#loadError = null;
      const first = queues[0];
      if (!this.#draft && first) this.select(first.id);
    } catch (error) {
      this.#loadError = errorMessage(error);
    }
  }

  select(queueId: string): void {
    const queue = this.#queues.find((q) => q.id === queueId);
    if (!queue) return;
    this.queueFeedback.clear();
    this.#draft = this.#draftOf(queue);
  }

  startNew(): void {
    this.queueFeedback.clear();
    this.#draft = {
      id: null,
      isDefault: false,
      name: '',
      strategy: 'longest_idle',
      aaaEnabled: false,
      missedCallAway: true,
      serviceLevelSeconds: SERVICE_LEVEL_RANGE.default,
      holdConfigurationId: null,
      members: Object.fromEntries(this.#agents.map((a) => [a.agentId, { selected: false, priority: TIER_RANGE.default }])),
    };
  }

  /** Creates or updates the queue, then its member set when that changed. */
  async saveQueue(): Promise<void> {
    const draft = this.#draft;
    if (!draft || this.#pending) return;
    this.queueFeedback.clear();
    const fields = {
      name: draft.name,
      strategy: draft.strategy,
      aaaEnabled: draft.aaaEnabled,
      missedCallAway: draft.missedCallAway,
      serviceLevelSeconds: Number(draft.serviceLevelSeconds ?? Number.NaN),
      holdConfigurationId: draft.holdConfigurationId,
    };
    const members: QueueMembersSetRequest = Object.entries(draft.members)
      .filter(([, m]) => m.selected)
      .map(([agentId, m]) => ({ agentId, priority: Number(m.priority) }));
    const checkedFields = (draft.id ? queueUpdateSchema : queueCreateSchema).safeParse(fields);
    const checkedMembers = queueMembersSetSchema.safeParse(members);
    if (!checkedFields.success || !checkedMembers.success) {
      const issues = [checkedFields.error, checkedMembers.error].flatMap((e) => (e ? [describeIssues(e)] : []));
      this.queueFeedback.fail(issues.join(' '));
      return;
    }
    this.#pending = 'queue';
    try {
      let saved = draft.id
        ? await api<QueueDetail>('PATCH', `/console/queues/${draft.id}`, fields)
        : await api<QueueDetail>('POST', '/console/queues', fields);
      const before = this.#queues.find((q) => q.id === saved.id);
      if (!sameMembers(before?.members ?? [], members)) {
        saved = await api<QueueDetail>('PUT', `/console/queues/${saved.id}/members`, members);
      }
      this.#queues = sortQueues([...this.#queues.filter((q) => q.id !== saved.id), saved]);
      this.#draft = this.#draftOf(saved);
      this.queueFeedback.succeed(draft.id ? `Queue "${saved.name}" saved.` : `Queue "${saved.name}" created.`);
    } catch (error) {
      this.queueFeedback.fail(errorMessage(error));
      // A created queue whose members failed exists now: show it as the server has it.
      await this.#refreshQueues();
    } finally {
      this.#pending = null;
    }
  }

  async deleteQueue(): Promise<void> {
    const draft = this.#draft;
    if (!draft?.id || this.#pending) return;
    this.queueFeedback.clear();
    this.#pending = 'delete';
    try {
      await api<null>('DELETE', `/console/queues/${draft.id}`);
      this.#queues = this.#queues.filter((q) => q.id !== draft.id);
      this.#draft = null;
      const first = this.#queues[0];
      if (first) this.select(first.id);
      this.queueFeedback.succeed(`Queue "${draft.name}" deleted.`);
    } catch (error) {
      this.queueFeedback.fail(errorMessage(error));
    } finally {
      this.#pending = null;
    }
  }

  async saveAgent(agentId: string): Promise<void> {
    const draft = this.#agentDrafts[agentId];
    const agent = this.#agents.find((a) => a.agentId === agentId);
    if (!draft || !agent || this.#pending) return;
    this.agentFeedback.clear();
    const body: AgentUpdateRequest = {
      capacity: Number(draft.capacity ?? Number.NaN),
      wrapUpSeconds: draft.wrapUpSeconds === null || draft.wrapUpSeconds === '' ? null : Number(draft.wrapUpSeconds),
      recordingOverride: draft.recordingOverride === '' ? null : draft.recordingOverride,
    };
    const checked = agentUpdateSchema.safeParse(body);
    if (!checked.success) {
      this.agentFeedback.fail(`${agent.name}: ${describeIssues(checked.error)}`);
      return;
    }
    this.#pending = agentId;
    try {
      const saved = await api<ConsoleAgent>('PATCH', `/console/agents/${agentId}`, body);
      this.#agents = this.#agents.map((a) => (a.agentId === agentId ? saved : a));
      this.#agentDrafts[agentId] = agentDraftOf(saved);
      this.agentFeedback.succeed(`${saved.name} saved.`);
      // Capacity shows in the member list of the queues too.
      await this.#refreshQueues();
    } catch (error) {
      this.agentFeedback.fail(`${agent.name}: ${errorMessage(error)}`);
    } finally {
      this.#pending = null;
    }
  }

  async #refreshQueues(): Promise<void> {
    try {
      this.#queues = await api<QueueDetail[]>('GET', '/console/queues');
    } catch {
      // The error already shown says what went wrong; the list stays as it was.
    }
  }

  #setAgents(agents: ConsoleAgent[]): void {
    this.#agents = agents;
    this.#agentDrafts = Object.fromEntries(agents.map((a) => [a.agentId, agentDraftOf(a)]));
  }

  #draftOf(queue: QueueDetail): QueueDraft {
    const tierOf = (agentId: string) => queue.members.find((m) => m.agentId === agentId)?.priority;
    return {
      id: queue.id,
      isDefault: queue.isDefault,
      name: queue.name,
      strategy: queue.strategy,
      aaaEnabled: queue.aaaEnabled,
      missedCallAway: queue.missedCallAway,
      serviceLevelSeconds: queue.serviceLevelSeconds,
      holdConfigurationId: queue.holdConfigurationId,
      members: Object.fromEntries(
        this.#agents.map((a) => [
          a.agentId,
          { selected: tierOf(a.agentId) !== undefined, priority: tierOf(a.agentId) ?? TIER_RANGE.default },
        ]),
      ),
    };
  }
}

function agentDraftOf(agent: ConsoleAgent): AgentDraft {
  return { capacity: agent.capacity, wrapUpSeconds: agent.wrapUpSeconds ?? '', recordingOverride: agent.recordingOverride ?? '' };
}

function sameMembers(current: QueueDetail['members'], next: QueueMembersSetRequest): boolean {
  if (current.length !== next.length) return false;
  return next.every((m) => current.some((c) => c.agentId === m.agentId && c.priority === m.priority));
}

/** The server's order: Default first, then by name. */
function sortQueues(queues: QueueDetail[]): QueueDetail[] {
  return [...queues].sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || a.name.localeCompare(b.name));
}
