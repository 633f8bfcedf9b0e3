/**
 * Prompts, pronunciations and the waiting strategy of the queue being edited (SPEC §8), for
 * the supervisor console. Bodies are checked with the server's own schemas first.
 */
import {
  DEFAULT_WAITING_STRATEGY,
  describeIssues,
  PROMPT_FILE_MAX_BYTES,
  pronunciationsSetSchema,
  speechPromptSchema,
  SPEECH_RATE_RANGE,
  waitingStrategySchema,
  holdConfigurationSchema,
  transferSettingsSchema,
  workingHoursSchema,
  type TransferSettingsView,
  type WorkingHoursView,
  HOLD_ANNOUNCEMENT_EVERY_RANGE,
  type HoldConfigurationView,
  type PromptView,
  type Pronunciation,
  type VoiceOptions,
  type WaitingStrategyView,
} from '@cc/contracts';
import { api, errorMessage, upload } from '$lib/api/http';
import { Feedback } from './console.svelte';

export interface SpeechDraft {
  name: string;
  text: string;
  language: string;
  voice: string;
  speechRate: number | null;
}

const emptySpeech = (): SpeechDraft => ({ name: '', text: '', language: 'en', voice: 'default', speechRate: SPEECH_RATE_RANGE.default });

export class PromptsConsole {
  #prompts = $state.raw<PromptView[]>([]);
  #voices = $state.raw<VoiceOptions>({ languages: [], voices: ['default'] });
  #pronunciations = $state<Pronunciation[]>([]);
  #strategy = $state<WaitingStrategyView | null>(null);
  #holds = $state.raw<HoldConfigurationView[]>([]);
  /** The hold configuration being edited (a new one has id null). */
  hold = $state<(Omit<HoldConfigurationView, 'id' | 'isDefault'> & { id: string | null; isDefault: boolean }) | null>(null);
  readonly holdFeedback = new Feedback();
  /** The edited queue's working hours; null while they load. */
  workingHours = $state<WorkingHoursView | null>(null);
  #hoursQueueId: string | null = null;
  readonly hoursFeedback = new Feedback();
  transfer = $state<TransferSettingsView>({ musicPromptId: null, messagePromptId: null });
  readonly transferFeedback = new Feedback();
  #strategyQueueId = $state<string | null>(null);
  #pending = $state<string | null>(null);
  speech = $state<SpeechDraft>(emptySpeech());
  fileName = $state('');
  readonly promptFeedback = new Feedback();
  readonly pronunciationFeedback = new Feedback();
  readonly strategyFeedback = new Feedback();

  get prompts(): PromptView[] {
    return this.#prompts;
  }
  get voices(): VoiceOptions {
    return this.#voices;
  }
  get holdConfigurations(): HoldConfigurationView[] {
    return this.#holds;
  }
  get pronunciations(): Pronunciation[] {
    return this.#pronunciations;
  }
  /** The waiting strategy of the queue being edited; null while it loads. */
  get strategy(): WaitingStrategyView | null {
    return this.#strategy;
  }
  /** What is being saved: `speech`, `file`, `pronunciations`, `strategy` or a prompt id; null when idle. */
  get pending(): string | null {
    return this.#pending;
  }

  async load(): Promise<void> {
    const [prompts, voices, pronunciations, holds, transfer] = await Promise.all([
      api<PromptView[]>('GET', '/console/prompts'),
      api<VoiceOptions>('GET', '/console/voices'),
      api<Pronunciation[]>('GET', '/console/pronunciations'),
      api<HoldConfigurationView[]>('GET', '/console/hold-configurations'),
      api<TransferSettingsView>('GET', '/console/transfer-settings'),
    ]);
    this.transfer = transfer;
    this.#holds = holds;
    if (!this.hold && holds[0]) this.editHold(holds[0]);
    this.#prompts = prompts;
    this.#voices = voices;
    this.#pronunciations = pronunciations;
  }

  async loadStrategy(queueId: string): Promise<void> {
    if (this.#strategyQueueId === queueId) return;
    this.#strategyQueueId = queueId;
    this.#strategy = null;
    this.strategyFeedback.clear();
    try {
      const strategy = await api<WaitingStrategyView>('GET', `/console/queues/${queueId}/waiting-strategy`);
      if (this.#strategyQueueId === queueId) this.#strategy = strategy;
    } catch (error) {
      this.#strategy = { ...DEFAULT_WAITING_STRATEGY };
      this.strategyFeedback.fail(errorMessage(error));
    }
  }

  async saveStrategy(): Promise<void> {
    const queueId = this.#strategyQueueId;
    if (!queueId || !this.#strategy) return;
    const parsed = waitingStrategySchema.safeParse($state.snapshot(this.#strategy));
    if (!parsed.success) {
      this.strategyFeedback.fail(describeIssues(parsed.error));
      return;
    }
    await this.#do('strategy', this.strategyFeedback, async () => {
      this.#strategy = await api<WaitingStrategyView>('PUT', `/console/queues/${queueId}/waiting-strategy`, parsed.data);
      return 'Waiting strategy saved. New calls hear it; calls already waiting keep theirs.';
    });
  }

  async createSpeech(): Promise<void> {
    const parsed = speechPromptSchema.safeParse({ ...$state.snapshot(this.speech), speechRate: this.speech.speechRate ?? undefined });
    if (!parsed.success) {
      this.promptFeedback.fail(describeIssues(parsed.error));
      return;
    }
    await this.#do('speech', this.promptFeedback, async () => {
      const created = await api<PromptView>('POST', '/console/prompts/speech', parsed.data);
      this.#prompts = [...this.#prompts, created].sort((a, b) => a.name.localeCompare(b.name));
      this.speech = emptySpeech();
      return `"${created.name}" is ready.`;
    });
  }

  async uploadFile(file: File | undefined): Promise<void> {
    const name = this.fileName.trim();
    if (!name) return this.promptFeedback.fail('Give the prompt a name.');
    if (!file) return this.promptFeedback.fail('Choose an audio file.');
    if (file.size > PROMPT_FILE_MAX_BYTES)
      return this.promptFeedback.fail('The file is larger than 4 MB. Upload a shorter or more compressed file.');
    await this.#do('file', this.promptFeedback, async () => {
      const query = `name=${encodeURIComponent(name)}&fileName=${encodeURIComponent(file.name)}`;
      const created = await upload<PromptView>('POST', `/console/prompts/file?${query}`, file);
      this.#prompts = [...this.#prompts, created].sort((a, b) => a.name.localeCompare(b.name));
      this.fileName = '';
      return `"${created.name}" is ready.`;
    });
  }

  async remove(prompt: PromptView): Promise<void> {
    await this.#do(prompt.id, this.promptFeedback, async () => {
      await api('DELETE', `/console/prompts/${prompt.id}`);
      this.#prompts = this.#prompts.filter((p) => p.id !== prompt.id);
      return `"${prompt.name}" deleted.`;
    });
  }

  async loadWorkingHours(queueId: string): Promise<void> {
    if (this.#hoursQueueId === queueId) return;
    this.#hoursQueueId = queueId;
    this.workingHours = null;
    this.hoursFeedback.clear();
    try {
      const hours = await api<WorkingHoursView>('GET', `/console/queues/${queueId}/working-hours`);
      if (this.#hoursQueueId === queueId) this.workingHours = hours;
    } catch (error) {
      this.hoursFeedback.fail(errorMessage(error));
    }
  }

  async saveWorkingHours(): Promise<void> {
    const queueId = this.#hoursQueueId;
    if (!queueId || !this.workingHours) return;
    const parsed = workingHoursSchema.safeParse($state.snapshot(this.workingHours));
    if (!parsed.success) {
      this.hoursFeedback.fail(describeIssues(parsed.error));
      return;
    }
    await this.#do('hours', this.hoursFeedback, async () => {
      this.workingHours = await api<WorkingHoursView>('PUT', `/console/queues/${queueId}/working-hours`, parsed.data);
      return 'Working hours saved.';
    });
  }

  async saveTransfer(): Promise<void> {
    const parsed = transferSettingsSchema.safeParse($state.snapshot(this.transfer));
    if (!parsed.success) {
      this.transferFeedback.fail(describeIssues(parsed.error));
      return;
    }
    await this.#do('transfer', this.transferFeedback, async () => {
      this.transfer = await api<TransferSettingsView>('PUT', '/console/transfer-settings', parsed.data);
      return 'Transfer music and message saved.';
    });
  }

  editHold(hold: HoldConfigurationView): void {
    this.holdFeedback.clear();
    this.hold = { ...hold };
  }

  newHold(): void {
    this.holdFeedback.clear();
    this.hold = {
      id: null,
      isDefault: false,
      name: '',
      musicPromptId: null,
      announcementEnabled: false,
      announcementPromptId: null,
      announcementEverySeconds: HOLD_ANNOUNCEMENT_EVERY_RANGE.default,
    };
  }

  async saveHold(): Promise<void> {
    const draft = this.hold;
    if (!draft) return;
    const { id, isDefault: _isDefault, ...fields } = $state.snapshot(draft);
    const parsed = holdConfigurationSchema.safeParse(fields);
    if (!parsed.success) {
      this.holdFeedback.fail(describeIssues(parsed.error));
      return;
    }
    await this.#do('hold', this.holdFeedback, async () => {
      const saved = id
        ? await api<HoldConfigurationView>('PUT', `/console/hold-configurations/${id}`, parsed.data)
        : await api<HoldConfigurationView>('POST', '/console/hold-configurations', parsed.data);
      this.#holds = [...this.#holds.filter((h) => h.id !== saved.id), saved].sort(
        (a, b) => Number(b.isDefault) - Number(a.isDefault) || a.name.localeCompare(b.name),
      );
      this.hold = { ...saved };
      return `Hold configuration "${saved.name}" saved.`;
    });
  }

  async deleteHold(): Promise<void> {
    const draft = this.hold;
    if (!draft?.id) return;
    const id = draft.id;
    await this.#do('hold-delete', this.holdFeedback, async () => {
      await api('DELETE', `/console/hold-configurations/${id}`);
      this.#holds = this.#holds.filter((h) => h.id !== id);
      const first = this.#holds[0];
      this.hold = first ? { ...first } : null;
      return `Hold configuration "${draft.name}" deleted; its queues use the Default now.`;
    });
  }

  addPronunciation(): void {
    this.#pronunciations.push({ word: '', spokenAs: '' });
  }

  removePronunciation(index: number): void {
    this.#pronunciations.splice(index, 1);
  }

  async savePronunciations(): Promise<void> {
    const parsed = pronunciationsSetSchema.safeParse($state.snapshot(this.#pronunciations));
    if (!parsed.success) {
      this.pronunciationFeedback.fail(describeIssues(parsed.error));
      return;
    }
    await this.#do('pronunciations', this.pronunciationFeedback, async () => {
      this.#pronunciations = await api<Pronunciation[]>('PUT', '/console/pronunciations', parsed.data);
      return 'Pronunciations saved. They apply to speech made from now on.';
    });
  }

  async #do(what: string, feedback: Feedback, action: () => Promise<string>): Promise<void> {
    this.#pending = what;
    feedback.clear();
    try {
      feedback.succeed(await action());
    } catch (error) {
      feedback.fail(errorMessage(error));
    } finally {
      this.#pending = null;
    }
  }
}
