/** Organisation settings a supervisor edits: ring time-out and wrap-up time. */
import {
  describeIssues,
  RING_TIMEOUT_RANGE,
  settingsUpdateSchema,
  WRAP_UP_RANGE,
  type OrganisationSettings,
  type SettingsUpdateRequest,
} from '@cc/contracts';
import { api, errorMessage } from '$lib/api/http';

export class SettingsEditor {
  #ringTimeoutSeconds = $state<number>(RING_TIMEOUT_RANGE.default);
  #wrapUpSeconds = $state<number>(WRAP_UP_RANGE.default);
  #loaded = $state(false);
  #saving = $state(false);
  #error = $state<string | null>(null);
  #saved = $state(false);

  get ringTimeoutSeconds(): number {
    return this.#ringTimeoutSeconds;
  }
  set ringTimeoutSeconds(value: number) {
    this.#ringTimeoutSeconds = value;
    this.#saved = false;
  }
  get wrapUpSeconds(): number {
    return this.#wrapUpSeconds;
  }
  set wrapUpSeconds(value: number) {
    this.#wrapUpSeconds = value;
    this.#saved = false;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get saving(): boolean {
    return this.#saving;
  }
  get error(): string | null {
    return this.#error;
  }
  get saved(): boolean {
    return this.#saved;
  }

  async load(): Promise<void> {
    try {
      this.#set(await api<OrganisationSettings>('GET', '/settings'));
      this.#loaded = true;
    } catch (error) {
      this.#error = errorMessage(error);
    }
  }

  /** Checked here with the server's own schema (same message, no round trip); the server checks again. */
  async save(): Promise<void> {
    if (this.#saving) return;
    this.#error = null;
    this.#saved = false;
    const body: SettingsUpdateRequest = {
      ringTimeoutSeconds: Number(this.#ringTimeoutSeconds),
      wrapUpSeconds: Number(this.#wrapUpSeconds),
    };
    const checked = settingsUpdateSchema.safeParse(body);
    if (!checked.success) {
      this.#error = describeIssues(checked.error);
      return;
    }
    this.#saving = true;
    try {
      this.#set(await api<OrganisationSettings>('PUT', '/settings', body));
      this.#saved = true;
    } catch (error) {
      this.#error = errorMessage(error);
    } finally {
      this.#saving = false;
    }
  }

  #set(settings: OrganisationSettings): void {
    this.#ringTimeoutSeconds = settings.ringTimeoutSeconds;
    this.#wrapUpSeconds = settings.wrapUpSeconds;
  }
}
