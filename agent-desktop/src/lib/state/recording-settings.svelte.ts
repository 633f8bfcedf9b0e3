/**
 * The organisation's recording configuration in the console (SPEC §13). Settings change only
 * while recording is off (the server refuses otherwise); storage secrets are write-only: an
 * empty secret field keeps what is stored.
 */
import type { RecordingConfigurationUpdate, RecordingConfigurationView, SftpHostKeyFetched } from '@cc/contracts';
import { api, errorMessage } from '$lib/api/http';

/** The form's values; secrets start empty (the server never sends them). */
export interface RecordingSettingsForm {
  directions: RecordingConfigurationView['directions'];
  videoMode: RecordingConfigurationView['videoMode'];
  composition: RecordingConfigurationView['composition'];
  storage: RecordingConfigurationView['storage'];
  retentionDays: number;
  s3: {
    endpoint: string;
    region: string;
    bucket: string;
    prefix: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
  };
  /** `hostKey` is public (shown as stored); empty accepts any key the server presents. */
  sftp: { host: string; port: number; path: string; username: string; password: string; privateKey: string; hostKey: string };
}

function toForm(view: RecordingConfigurationView): RecordingSettingsForm {
  return {
    directions: view.directions,
    videoMode: view.videoMode,
    composition: view.composition,
    storage: view.storage,
    retentionDays: view.retentionDays,
    s3: {
      endpoint: view.s3?.endpoint ?? '',
      region: view.s3?.region ?? 'us-east-1',
      bucket: view.s3?.bucket ?? '',
      prefix: view.s3?.prefix ?? '',
      accessKeyId: view.s3?.accessKeyId ?? '',
      secretAccessKey: '',
      forcePathStyle: view.s3?.forcePathStyle ?? true,
    },
    sftp: {
      host: view.sftp?.host ?? '',
      port: view.sftp?.port ?? 22,
      path: view.sftp?.path ?? '.',
      username: view.sftp?.username ?? '',
      password: '',
      privateKey: '',
      hostKey: view.sftp?.hostKey ?? '',
    },
  };
}

/** What a save sends: the chosen storage's settings only, and a secret only when one was typed. */
function toUpdate(form: RecordingSettingsForm): RecordingConfigurationUpdate {
  const { s3, sftp } = form;
  return {
    directions: form.directions,
    videoMode: form.videoMode,
    composition: form.composition,
    storage: form.storage,
    retentionDays: form.retentionDays,
    ...(form.storage === 's3'
      ? {
          s3: {
            endpoint: s3.endpoint.trim() || null,
            region: s3.region,
            bucket: s3.bucket,
            prefix: s3.prefix,
            accessKeyId: s3.accessKeyId,
            forcePathStyle: s3.forcePathStyle,
            ...(s3.secretAccessKey ? { secretAccessKey: s3.secretAccessKey } : {}),
          },
        }
      : {}),
    ...(form.storage === 'sftp'
      ? {
          sftp: {
            host: sftp.host,
            port: sftp.port,
            path: sftp.path,
            username: sftp.username,
            ...(sftp.password ? { password: sftp.password } : {}),
            ...(sftp.privateKey ? { privateKey: sftp.privateKey } : {}),
            hostKey: sftp.hostKey.trim() || null,
          },
        }
      : {}),
  };
}

export class RecordingSettingsEditor {
  #view = $state.raw<RecordingConfigurationView | null>(null);
  #form = $state<RecordingSettingsForm | null>(null);
  #busy = $state(false);
  #error = $state<string | null>(null);
  #notice = $state<string | null>(null);
  #fetchedHostKey = $state.raw<(SftpHostKeyFetched & { host: string; port: number }) | null>(null);

  /** The stored configuration (what is in force), or null before it loads. */
  get view(): RecordingConfigurationView | null {
    return this.#view;
  }
  /** Bound to the form. */
  get form(): RecordingSettingsForm | null {
    return this.#form;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): string | null {
    return this.#error;
  }
  get notice(): string | null {
    return this.#notice;
  }
  /** The key "Fetch host key" put in the form, for the supervisor to confirm before saving. */
  get fetchedHostKey(): (SftpHostKeyFetched & { host: string; port: number }) | null {
    return this.#fetchedHostKey;
  }

  /**
   * Trust on first use: asks the server (through the routing service) which host key it
   * presents and puts it in the form; nothing is stored until the supervisor saves.
   */
  async fetchHostKey(): Promise<void> {
    const form = this.#form;
    if (!form || this.#busy) return;
    const { host, port } = form.sftp;
    this.#busy = true;
    this.#error = null;
    this.#notice = null;
    this.#fetchedHostKey = null;
    try {
      const fetched = await api<SftpHostKeyFetched>('POST', '/recording-configuration/sftp-host-key', { host: host.trim(), port });
      form.sftp.hostKey = fetched.hostKey;
      this.#fetchedHostKey = { ...fetched, host: host.trim(), port };
    } catch (error) {
      this.#error = errorMessage(error);
    } finally {
      this.#busy = false;
    }
  }

  async load(): Promise<void> {
    await this.#run(() => api<RecordingConfigurationView>('GET', '/recording-configuration'), null);
  }

  async save(): Promise<void> {
    const form = this.#form;
    if (!form) return;
    await this.#run(() => api<RecordingConfigurationView>('PUT', '/recording-configuration', toUpdate(form)), 'Recording settings saved.');
  }

  async setEnabled(enabled: boolean): Promise<void> {
    await this.#run(
      () => api<RecordingConfigurationView>('PUT', '/recording-configuration', { enabled }),
      enabled ? 'Recording is on: new calls are recorded.' : 'Recording is off: the settings can be changed.',
    );
  }

  async #run(request: () => Promise<RecordingConfigurationView>, notice: string | null): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    this.#error = null;
    this.#notice = null;
    try {
      const view = await request();
      this.#view = view;
      this.#form = toForm(view);
      this.#fetchedHostKey = null;
      this.#notice = notice;
    } catch (error) {
      this.#error = errorMessage(error);
    } finally {
      this.#busy = false;
    }
  }
}
