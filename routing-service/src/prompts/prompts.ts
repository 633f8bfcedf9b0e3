/**
 * Prompts of an organisation (SPEC §8): text-to-speech or an uploaded file, converted once to
 * Ogg Opus on save and stored by content hash (the same audio is stored once). Speech is
 * synthesised after the organisation's custom pronunciations are applied, and cached by what
 * was synthesised, so announcements made at run time (a queue position) cost one synthesis.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { parseOggOpus } from '@cc/sfu/ogg-opus';
import {
  PROMPT_FILE_MAX_BYTES,
  type Pronunciation,
  type PromptView,
  type SpeechPromptRequest,
  type VoiceOptions,
  speechPromptSchema,
} from '@cc/contracts';
import type { Database, Prompt } from '@cc/migrations';
import type { Db } from '../acd/db.ts';
import { AppError, notFound } from '../errors.ts';
import { builtInMusicWav, speak, toOggOpus, uploadToOggOpus, voicemailToneWav, voices } from './audio.ts';

export type Speech = Required<Omit<SpeechPromptRequest, 'name'>>;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Stores converted audio by its hash (once) and returns the hash. */
export async function storeAudio(db: Db, ogg: Buffer): Promise<string> {
  const hash = sha256(ogg);
  const { durationMs } = parseOggOpus(ogg);
  await db
    .insertInto('prompt_audio')
    .values({ hash, ogg, duration_ms: durationMs })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return hash;
}

export async function loadAudio(db: Db, hash: string): Promise<Buffer> {
  const row = await db.selectFrom('prompt_audio').select('ogg').where('hash', '=', hash).executeTakeFirst();
  if (!row) throw notFound('Prompt audio');
  return row.ogg;
}

/** Whole words (any case) replaced by how the organisation wants them said. */
export function applyPronunciations(text: string, pronunciations: readonly Pronunciation[]): string {
  let result = text;
  // Longest first, so "New York City" wins over "New York".
  for (const { word, spokenAs } of [...pronunciations].sort((a, b) => b.word.length - a.word.length)) {
    const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    result = result.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'giu'), spokenAs);
  }
  return result;
}

export async function listPronunciations(db: Db, organisationId: string): Promise<Pronunciation[]> {
  const rows = await db
    .selectFrom('pronunciation')
    .select(['word', 'spoken_as'])
    .where('organisation_id', '=', organisationId)
    .orderBy('word')
    .execute();
  return rows.map((r) => ({ word: r.word, spokenAs: r.spoken_as }));
}

/** Replaces the organisation's whole pronunciation list (words compared without case). */
export async function setPronunciations(db: Kysely<Database>, organisationId: string, list: Pronunciation[]): Promise<Pronunciation[]> {
  const seen = new Set<string>();
  for (const { word } of list) {
    if (seen.has(word.toLowerCase())) throw new AppError('bad_request', `"${word}" is listed twice; list each word once.`);
    seen.add(word.toLowerCase());
  }
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('pronunciation').where('organisation_id', '=', organisationId).execute();
    if (list.length > 0) {
      await trx
        .insertInto('pronunciation')
        .values(list.map((p) => ({ organisation_id: organisationId, word: p.word, spoken_as: p.spokenAs })))
        .execute();
    }
  });
  return listPronunciations(db, organisationId);
}

export async function voiceOptions(): Promise<VoiceOptions> {
  const { languages, voices: variants } = await voices();
  return { languages, voices: variants };
}

async function checkVoice(speech: Speech): Promise<void> {
  const options = await voices();
  if (!options.codes.has(speech.language))
    throw new AppError('bad_request', `There is no "${speech.language}" voice. Choose a language from the list.`);
  if (!options.voices.includes(speech.voice))
    throw new AppError('bad_request', `There is no voice "${speech.voice}". Choose a voice from the list.`);
}

/** Synthesises (or finds already synthesised) speech with the organisation's pronunciations; returns the audio hash. */
export async function speechAudio(db: Db, organisationId: string, speech: Speech): Promise<string> {
  const text = applyPronunciations(speech.text, await listPronunciations(db, organisationId));
  const key = sha256(JSON.stringify({ text, language: speech.language, voice: speech.voice, rate: speech.speechRate }));
  const cached = await db.selectFrom('speech_cache').select('audio_hash').where('key', '=', key).executeTakeFirst();
  if (cached) return cached.audio_hash;
  const hash = await storeAudio(db, await toOggOpus(await speak({ ...speech, text })));
  await db
    .insertInto('speech_cache')
    .values({ key, audio_hash: hash })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return hash;
}

/** Built-in sounds, synthesised here (no third-party recording ships): the hold music and the voicemail tone. */
const BUILT_IN_SOUNDS = { music: builtInMusicWav, tone: voicemailToneWav } as const;
type BuiltInSound = keyof typeof BUILT_IN_SOUNDS;
const builtInOgg = new Map<BuiltInSound, Promise<Buffer>>();
/** Each built-in sound's hash once stored, per database (every waiting call asks for the music). */
const builtInStored = new WeakMap<object, Map<BuiltInSound, Promise<string>>>();

/** A built-in sound's audio hash (synthesised and stored on first use; the same on every machine). */
function builtInAudio(db: Db, sound: BuiltInSound): Promise<string> {
  let stored = builtInStored.get(db);
  if (!stored) builtInStored.set(db, (stored = new Map<BuiltInSound, Promise<string>>()));
  let hash = stored.get(sound);
  if (!hash) {
    let ogg = builtInOgg.get(sound);
    if (!ogg) builtInOgg.set(sound, (ogg = toOggOpus(BUILT_IN_SOUNDS[sound]())));
    const made = ogg;
    hash = made.then((audio) => storeAudio(db, audio));
    hash.catch(() => {
      // Not remembered when it failed: the next call tries again.
      if (builtInOgg.get(sound) === made) builtInOgg.delete(sound);
      stored.delete(sound);
    });
    stored.set(sound, hash);
  }
  return hash;
}

/** The built-in hold music's audio hash. */
export const builtInMusicAudio = (db: Db): Promise<string> => builtInAudio(db, 'music');
/** The voicemail tone's audio hash: the caller speaks after it. */
export const voicemailToneAudio = (db: Db): Promise<string> => builtInAudio(db, 'tone');

function toView(row: Prompt & { duration_ms: number }): PromptView {
  return {
    id: row.id,
    name: row.name,
    source: row.source,
    text: row.text,
    language: row.language,
    voice: row.voice,
    speechRate: row.speech_rate,
    fileName: row.file_name,
    durationMs: row.duration_ms,
    audioUrl: `/api/console/prompts/${row.id}/audio`,
    updatedAt: row.updated_at.toISOString(),
  };
}

function promptsOf(db: Db, organisationId: string) {
  return db
    .selectFrom('prompt')
    .innerJoin('prompt_audio', 'prompt_audio.hash', 'prompt.audio_hash')
    .selectAll('prompt')
    .select('prompt_audio.duration_ms')
    .where('prompt.organisation_id', '=', organisationId);
}

export async function listPrompts(db: Db, organisationId: string): Promise<PromptView[]> {
  return (await promptsOf(db, organisationId).orderBy('prompt.name').execute()).map(toView);
}

export async function getPrompt(db: Db, organisationId: string, id: string): Promise<PromptView> {
  const row = await promptsOf(db, organisationId).where('prompt.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Prompt');
  return toView(row);
}

/** A unique-name violation, said plainly. */
async function uniqueName<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new AppError('conflict', `A prompt named "${name}" already exists.`);
    throw error;
  }
}

type PromptValues = Omit<Prompt, 'id' | 'organisation_id' | 'created_at' | 'updated_at'>;

/** Creates the prompt, or replaces prompt `id` of the organisation, and returns its view. */
async function writePrompt(db: Db, organisationId: string, values: PromptValues, id?: string): Promise<PromptView> {
  const saved = await uniqueName(values.name, () =>
    id
      ? db
          .updateTable('prompt')
          .set({ ...values, updated_at: sql<Date>`now()` })
          .where('id', '=', id)
          .where('organisation_id', '=', organisationId)
          .returning('id')
          .executeTakeFirst()
      : db
          .insertInto('prompt')
          .values({ ...values, organisation_id: organisationId })
          .returning('id')
          .executeTakeFirst(),
  );
  if (!saved) throw notFound('Prompt');
  return getPrompt(db, organisationId, saved.id);
}

export async function saveSpeechPrompt(db: Db, organisationId: string, request: SpeechPromptRequest, id?: string): Promise<PromptView> {
  const { name, ...speech } = speechPromptSchema.parse(request);
  await checkVoice(speech);
  const audioHash = await speechAudio(db, organisationId, speech);
  return writePrompt(
    db,
    organisationId,
    {
      name,
      source: 'speech',
      text: speech.text,
      language: speech.language,
      voice: speech.voice,
      speech_rate: speech.speechRate,
      file_name: null,
      audio_hash: audioHash,
    },
    id,
  );
}

/** An uploaded file: checked (size, kind), converted once, stored. */
export async function saveFilePrompt(
  db: Db,
  organisationId: string,
  upload: { name: string; fileName: string; file: Buffer },
  id?: string,
): Promise<PromptView> {
  if (upload.file.length === 0) throw new AppError('bad_request', 'The file is empty.');
  if (upload.file.length > PROMPT_FILE_MAX_BYTES)
    throw new AppError('bad_request', 'The file is larger than 4 MB. Upload a shorter or more compressed file.');
  // Checked above before anything is written to disk for the tools to read.
  const audioHash = await storeAudio(db, await uploadToOggOpus(upload.file));
  return writePrompt(
    db,
    organisationId,
    {
      name: upload.name,
      source: 'file',
      text: null,
      language: null,
      voice: null,
      speech_rate: null,
      file_name: upload.fileName,
      audio_hash: audioHash,
    },
    id,
  );
}

/**
 * Who uses prompt `id`, in the words of the console: queues (their waiting strategy), the
 * working hours of queues (the away message), hold configurations and the organisation's
 * transfer settings: every table with a foreign key to `prompt`.
 */
async function promptUsers(db: Db, id: string): Promise<string[]> {
  const queues = await db
    .selectFrom('waiting_strategy')
    .innerJoin('queue', 'queue.id', 'waiting_strategy.queue_id')
    .select('queue.name')
    .where((eb) =>
      eb.or([
        eb('waiting_strategy.greeting_prompt_id', '=', id),
        eb('waiting_strategy.music_prompt_id', '=', id),
        eb('waiting_strategy.announcement_prompt_id', '=', id),
        eb('waiting_strategy.last_message_prompt_id', '=', id),
        eb('waiting_strategy.voicemail_prompt_id', '=', id),
      ]),
    )
    .orderBy('queue.name')
    .execute();
  const hours = await db
    .selectFrom('working_hours')
    .innerJoin('queue', 'queue.id', 'working_hours.queue_id')
    .select('queue.name')
    .where('working_hours.away_message_prompt_id', '=', id)
    .orderBy('queue.name')
    .execute();
  const holds = await db
    .selectFrom('hold_configuration')
    .select('name')
    .where((eb) => eb.or([eb('music_prompt_id', '=', id), eb('announcement_prompt_id', '=', id)]))
    .orderBy('name')
    .execute();
  // The organisation's columns would be set to null on delete: refused all the same, so the
  // transfer settings do not change behind the supervisor's back.
  const transfer = await db
    .selectFrom('organisation')
    .select('id')
    .where((eb) => eb.or([eb('transfer_music_prompt_id', '=', id), eb('transfer_message_prompt_id', '=', id)]))
    .executeTakeFirst();
  return [
    ...queues.map((q) => `"${q.name}"`),
    ...hours.map((q) => `the working hours of "${q.name}"`),
    ...holds.map((h) => `hold configuration "${h.name}"`),
    ...(transfer ? ['the transfer settings'] : []),
  ];
}

/** A prompt in use cannot be deleted: the message names who uses it, and nothing changes. */
export async function deletePrompt(db: Kysely<Database>, organisationId: string, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Locked first: a save that starts to use the prompt now waits for this transaction, and
    // one that already has is seen by the checks below once it commits.
    const row = await trx
      .selectFrom('prompt')
      .select('id')
      .where('id', '=', id)
      .where('organisation_id', '=', organisationId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound('Prompt');
    const users = await promptUsers(trx, id);
    if (users.length > 0)
      throw new AppError('conflict', `This prompt is in use by ${users.join(', ')}. Choose another prompt there first.`);
    await trx.deleteFrom('prompt').where('id', '=', id).execute();
  });
}

/** The prompt's audio for the console's preview. */
export async function promptAudio(db: Db, organisationId: string, id: string): Promise<Buffer> {
  const row = await db
    .selectFrom('prompt')
    .select('audio_hash')
    .where('id', '=', id)
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
  if (!row) throw notFound('Prompt');
  return loadAudio(db, row.audio_hash);
}
