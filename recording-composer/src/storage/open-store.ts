/**
 * The store of an organisation's storage, from its recording configuration in PostgreSQL.
 * Settings are read for every job, so a supervisor's fix (a new password) helps the next retry.
 */
import type { Kysely } from 'kysely';
import { s3SettingsSchema, sftpSettingsSchema, type RecordingStorage } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { LocalStore } from './LocalStore.ts';
import { StorageError, type RecordingStore } from './RecordingStore.ts';
import { S3Store } from './S3Store.ts';
import { SftpStore } from './SftpStore.ts';

export async function openStore(
  db: Kysely<Database>,
  organisationId: string,
  storage: RecordingStorage,
  localDir: string,
): Promise<RecordingStore> {
  if (storage === 'local') return new LocalStore(localDir);
  const row = await db
    .selectFrom('recording_configuration')
    .select(['storage_s3', 'storage_sftp'])
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
  if (storage === 's3') {
    const parsed = s3SettingsSchema.safeParse(row?.storage_s3);
    if (!parsed.success) throw new StorageError('not_configured', 'The organisation has no valid S3 storage settings');
    return new S3Store(parsed.data);
  }
  const parsed = sftpSettingsSchema.safeParse(row?.storage_sftp);
  if (!parsed.success) throw new StorageError('not_configured', 'The organisation has no valid SFTP storage settings');
  return new SftpStore(parsed.data);
}
