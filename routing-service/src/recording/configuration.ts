/**
 * The organisation's recording configuration (SPEC §13) for the console: read with secrets
 * shown only as "set", and changed only while recording is disabled — a change never affects
 * calls in progress anyway (each call freezes the configuration when it starts), but a store
 * switched under running uploads or a half-edited storage must not take recordings.
 */
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import {
  describeIssues,
  s3SettingsSchema,
  sftpSettingsSchema,
  type RecordingConfigurationUpdate,
  type RecordingConfigurationView,
  type S3Settings,
  type SftpSettings,
} from '@cc/contracts';
import type { Database, RecordingConfiguration } from '@cc/migrations';
import { AppError } from '../errors.ts';

function view(row: RecordingConfiguration | undefined): RecordingConfigurationView {
  const s3 = row?.storage_s3 ?? null;
  const sftp = row?.storage_sftp ?? null;
  return {
    enabled: row?.enabled ?? false,
    directions: row?.directions ?? 'both',
    videoMode: row?.video_mode ?? 'audio_only',
    composition: row?.composition ?? 'merged',
    storage: row?.storage ?? 'local',
    retentionDays: row?.retention_days ?? 90,
    s3: s3 && {
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: s3.bucket,
      prefix: s3.prefix,
      accessKeyId: s3.accessKeyId,
      forcePathStyle: s3.forcePathStyle,
      hasSecretAccessKey: s3.secretAccessKey !== '',
    },
    sftp: sftp && {
      host: sftp.host,
      port: sftp.port,
      path: sftp.path,
      username: sftp.username,
      hasPassword: sftp.password !== null,
      hasPrivateKey: sftp.privateKey !== null,
      // Rows saved before host keys existed have none.
      hostKey: sftp.hostKey ?? null,
    },
  };
}

export async function getRecordingConfiguration(db: Kysely<Database>, organisationId: string): Promise<RecordingConfigurationView> {
  return view(await db.selectFrom('recording_configuration').selectAll().where('organisation_id', '=', organisationId).executeTakeFirst());
}

/** Merges an S3 or SFTP change onto the stored settings and validates the whole. */
function merged<T>(schema: z.ZodType<T>, what: string, stored: object | null, change: object): T {
  const parsed = schema.safeParse({ ...stored, ...change });
  if (!parsed.success) throw new AppError('bad_request', `${what} settings: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export async function updateRecordingConfiguration(
  db: Kysely<Database>,
  organisationId: string,
  update: RecordingConfigurationUpdate,
): Promise<RecordingConfigurationView> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('recording_configuration')
      .values({ organisation_id: organisationId })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const row = await trx
      .selectFrom('recording_configuration')
      .selectAll()
      .where('organisation_id', '=', organisationId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const { enabled, ...settings } = update;
    const changesSettings = Object.values(settings).some((value) => value !== undefined);
    if (row.enabled && changesSettings) {
      throw new AppError(
        'conflict',
        'Recording settings can be changed only while recording is disabled: disable recording first, then edit',
      );
    }
    const s3: S3Settings | null = update.s3 ? merged(s3SettingsSchema, 'S3', row.storage_s3, update.s3) : row.storage_s3;
    const sftp: SftpSettings | null = update.sftp ? merged(sftpSettingsSchema, 'SFTP', row.storage_sftp, update.sftp) : row.storage_sftp;
    const storage = update.storage ?? row.storage;
    if ((enabled ?? row.enabled) && ((storage === 's3' && !s3) || (storage === 'sftp' && !sftp))) {
      throw new AppError('bad_request', `Recording to ${storage === 's3' ? 'S3' : 'SFTP'} needs its storage settings first`);
    }
    const next = await trx
      .updateTable('recording_configuration')
      .set({
        enabled: enabled ?? row.enabled,
        directions: update.directions ?? row.directions,
        video_mode: update.videoMode ?? row.video_mode,
        composition: update.composition ?? row.composition,
        storage,
        retention_days: update.retentionDays ?? row.retention_days,
        storage_s3: s3,
        storage_sftp: sftp,
        updated_at: new Date(),
      })
      .where('organisation_id', '=', organisationId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return view(next);
  });
}
