/** The agent's call links: the "New call link" form, the created link, and recent links. */
import type { CallLinkCreateRequest, CallLinkRouting, CallLinkType, CallLinkView } from '@cc/contracts';
import { api, errorMessage } from '$lib/api/http';
import { localInputToIso } from '$lib/format';

export interface QueueOption {
  id: string;
  name: string;
  isDefault: boolean;
  aaaEnabled: boolean;
}

export type CallLinkState = 'active' | 'used' | 'expired' | 'revoked' | 'not yet valid';

export function callLinkState(link: CallLinkView, now: number): CallLinkState {
  if (link.revokedAt) return 'revoked';
  if (link.type === 'one_time' && link.usedAt) return 'used';
  if (link.validUntil && Date.parse(link.validUntil) <= now) return 'expired';
  if (link.validFrom && Date.parse(link.validFrom) > now) return 'not yet valid';
  return 'active';
}

export class CallLinks {
  #type = $state<CallLinkType>('one_time');
  #routing = $state<CallLinkRouting>('to_sharing_agent');
  #identity = $state('');
  #queueId = $state('');
  #validFrom = $state('');
  #validUntil = $state('');
  #allowVideo = $state(true);

  #queues = $state.raw<QueueOption[]>([]);
  #links = $state.raw<CallLinkView[]>([]);
  #created = $state.raw<CallLinkView | null>(null);
  #creating = $state(false);
  #error = $state<string | null>(null);
  #listError = $state<string | null>(null);

  get type(): CallLinkType {
    return this.#type;
  }
  set type(value: CallLinkType) {
    this.#type = value;
  }
  get routing(): CallLinkRouting {
    return this.#routing;
  }
  set routing(value: CallLinkRouting) {
    this.#routing = value;
  }
  get identity(): string {
    return this.#identity;
  }
  set identity(value: string) {
    this.#identity = value;
  }
  get queueId(): string {
    return this.#queueId;
  }
  set queueId(value: string) {
    this.#queueId = value;
  }
  get validFrom(): string {
    return this.#validFrom;
  }
  set validFrom(value: string) {
    this.#validFrom = value;
  }
  get validUntil(): string {
    return this.#validUntil;
  }
  set validUntil(value: string) {
    this.#validUntil = value;
  }
  get allowVideo(): boolean {
    return this.#allowVideo;
  }
  set allowVideo(value: boolean) {
    this.#allowVideo = value;
  }

  /** A time-frame link has a start; time-frame and expiring links have an end. */
  get needsValidFrom(): boolean {
    return this.#type === 'time_frame';
  }
  get needsValidUntil(): boolean {
    return this.#type === 'time_frame' || this.#type === 'expiring';
  }

  get queues(): QueueOption[] {
    return this.#queues;
  }
  get links(): CallLinkView[] {
    return this.#links;
  }
  get created(): CallLinkView | null {
    return this.#created;
  }
  get creating(): boolean {
    return this.#creating;
  }
  get error(): string | null {
    return this.#error;
  }
  get listError(): string | null {
    return this.#listError;
  }

  queueName(queueId: string | null): string {
    if (!queueId) return '';
    return this.#queues.find((queue) => queue.id === queueId)?.name ?? '';
  }

  async load(): Promise<void> {
    const [queues, links] = await Promise.allSettled([api<QueueOption[]>('GET', '/queues'), api<CallLinkView[]>('GET', '/call-links')]);
    if (queues.status === 'fulfilled') {
      this.#queues = queues.value;
      if (!this.#queueId) this.#queueId = (queues.value.find((q) => q.isDefault) ?? queues.value[0])?.id ?? '';
    }
    if (links.status === 'fulfilled') {
      this.#links = links.value;
      this.#listError = null;
    } else {
      this.#listError = errorMessage(links.reason);
    }
  }

  /** Reloads my links (their used / expired state), keeping the form as it is. */
  async refreshList(): Promise<void> {
    try {
      this.#links = await api<CallLinkView[]>('GET', '/call-links');
      this.#listError = null;
    } catch (error) {
      this.#listError = errorMessage(error);
    }
  }

  async create(): Promise<void> {
    if (this.#creating) return;
    this.#error = null;
    const body: CallLinkCreateRequest = {
      type: this.#type,
      routing: this.#routing,
      identity: this.#identity.trim(),
      allowVideo: this.#allowVideo,
    };
    if (this.#routing === 'routing_rules' && this.#queueId) body.queueId = this.#queueId;
    if (this.needsValidFrom) body.validFrom = localInputToIso(this.#validFrom);
    if (this.needsValidUntil) body.validUntil = localInputToIso(this.#validUntil);
    if (!body.identity) {
      this.#error = "Enter the customer's identity: a name, phone number or e-mail.";
      return;
    }
    if (this.needsValidFrom && !body.validFrom) {
      this.#error = 'Choose when the link becomes valid.';
      return;
    }
    if (this.needsValidUntil && !body.validUntil) {
      this.#error = 'Choose when the link stops being valid.';
      return;
    }
    this.#creating = true;
    try {
      const link = await api<CallLinkView>('POST', '/call-links', body);
      this.#created = link;
      this.#links = [link, ...this.#links.filter((l) => l.id !== link.id)];
      this.#identity = '';
    } catch (error) {
      this.#error = errorMessage(error);
    } finally {
      this.#creating = false;
    }
  }

  async revoke(id: string): Promise<void> {
    this.#listError = null;
    try {
      const link = await api<CallLinkView>('POST', `/call-links/${encodeURIComponent(id)}/revoke`);
      this.#links = this.#links.map((l) => (l.id === id ? { ...link, url: l.url } : l));
    } catch (error) {
      this.#listError = errorMessage(error);
    }
  }
}
