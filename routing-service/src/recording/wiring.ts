import type { Kysely } from 'kysely';
import type { Database } from '@cc/migrations';
import { ComposerControlClient } from '@cc/recording-composer/control-client';
import { openStore } from '@cc/recording-composer/storage';
import { SfuControlClient } from '@cc/sfu/control-client';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { CallRecorder } from './call-recorder.ts';
import type { RecordingsDeps } from './recordings.ts';

/** The recorder when a composer is configured; otherwise none, and calls are not recorded. */
export function callRecorder(config: Config, db: Kysely<Database>, clock: Clock, logger: Logger): CallRecorder | undefined {
  if (!config.COMPOSER_CONTROL_URL || !config.COMPOSER_CONTROL_SECRET) return undefined;
  return new CallRecorder({
    db,
    sfu: new SfuControlClient(config.SFU_CONTROL_URL, config.SFU_CONTROL_SECRET),
    composer: new ComposerControlClient(config.COMPOSER_CONTROL_URL, config.COMPOSER_CONTROL_SECRET),
    clock,
    logger,
    stopRetryMs: config.COMPOSER_STOP_RETRY_SECONDS * 1000,
  });
}

/** The stores the composer uploaded to, for playing, downloading and deleting recordings. */
export function recordingsDeps(config: Config, db: Kysely<Database>, clock: Clock): RecordingsDeps {
  return {
    db,
    now: () => clock.now(),
    openStore: (organisationId, storage) => openStore(db, organisationId, storage, config.RECORDINGS_DIR),
  };
}
