/**
 * A waiting caller's place (SPEC §8): their position in the queue (callers ahead of them,
 * by priority then arrival, plus one) and the estimated wait: position × the queue's average
 * handle time over the last day (3 min when it has none) ÷ its staffed agents (members not
 * offline). The call page shows both; when the queue's announcement says them, they are
 * spoken after it (synthesised once per sentence, cached like any speech).
 *
 * `WaitingPlaces.refresh` runs on the instance holding the customers' sockets, on the
 * presence loop's beat: it pushes changed places to the pages and re-programs the
 * announcement when its sentence changed (keeping the music where it is).
 */
import { sql, type Kysely } from 'kysely';
import type { CustomerPlace } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import type { Logger } from '../logger.ts';
import { speechAudio } from '../prompts/prompts.ts';
import type { Db } from './db.ts';
import type { MediaRooms } from './media.ts';
import { waitingProgram } from './waiting.ts';

/** Average handle time assumed for a queue without answered calls in the last day. */
const DEFAULT_HANDLE_SECONDS = 180;

export interface WaitingPlace {
  callId: string;
  organisationId: string;
  queueId: string;
  roomId: string;
  playbackVersion: number;
  position: number;
  estimatedWaitSeconds: number;
  /** What the announcement says of the place, when the queue's announcement says it (null otherwise). */
  sentence: string | null;
}

/** The places of these calls that are still waiting (others are left out). */
export async function waitingPlaces(db: Db, callIds: readonly string[]): Promise<WaitingPlace[]> {
  if (callIds.length === 0) return [];
  // Raw SQL: a window over each involved queue's waiting calls ranks them once (a count per
  // caller would walk the queue again for every one of a thousand waiting callers).
  const ids = [...callIds];
  const few = sql.lit(ids.length <= 8);
  // One call (a reply) by a plain equality: with an array of unknown length the planner
  // prices the prepared statement's generic plan for many calls and plans anew every time.
  const [only] = ids;
  const chosen = ids.length === 1 && only ? sql<boolean>`id = ${only}::uuid` : sql<boolean>`id = any(${ids}::uuid[])`;
  const rows = await sql<{
    id: string;
    organisation_id: string;
    queue_id: string;
    room_id: string;
    playback_version: number;
    position: number;
    staffed: number;
    announce_position: boolean | null;
    announce_estimated_wait: boolean | null;
    announcing: boolean | null;
  }>`
    with mine as (
      select id, organisation_id, queue_id, room_id, playback_version from call
      where ${chosen} and state in ('queued', 'ringing') and waiting_ends_at is null
    ),
    queues as (select distinct queue_id from mine),
    ranked as (
      -- Few callers (a reply): count each one's callers ahead. Many (the periodic update): rank
      -- each queue once with a window, instead of walking it again per caller.
      select m.id, 1 + (select count(*)::int from call c
          where c.queue_id = m.queue_id and c.state = 'queued' and c.waiting_ends_at is null and c.id <> m.id
            and (c.priority > m.priority or (c.priority = m.priority and c.queued_at < m.queued_at))) as position
      from call m where ${few} and m.id in (select id from mine)
      union all
      select w.id, w.position from (
        select c.id, row_number() over (partition by c.queue_id order by c.priority desc, c.queued_at)::int as position
        from call c
        where not ${few} and c.queue_id in (select queue_id from queues) and c.state = 'queued' and c.waiting_ends_at is null
      ) w
    ),
    staffed as (
      select qm.queue_id, count(*)::int as staffed from queue_member qm join agent a on a.user_id = qm.agent_id
      where qm.queue_id in (select queue_id from queues) and a.status <> 'offline'
      group by qm.queue_id
    )
    select m.id, m.organisation_id, m.queue_id, m.room_id, m.playback_version,
      coalesce(r.position, 1) as position, coalesce(s.staffed, 0) as staffed,
      w.announce_position, w.announce_estimated_wait, w.announcement_enabled as announcing
    from mine m
    left join ranked r on r.id = m.id
    left join staffed s on s.queue_id = m.queue_id
    left join waiting_strategy w on w.queue_id = m.queue_id
  `.execute(db);
  const handle = new Map<string, number>();
  for (const queueId of new Set(rows.rows.map((r) => r.queue_id))) handle.set(queueId, await handleSeconds(db, queueId));
  return rows.rows.map((row) => {
    const estimatedWaitSeconds = Math.round(
      (row.position * (handle.get(row.queue_id) ?? DEFAULT_HANDLE_SECONDS)) / Math.max(1, row.staffed),
    );
    return {
      callId: row.id,
      organisationId: row.organisation_id,
      queueId: row.queue_id,
      roomId: row.room_id,
      playbackVersion: row.playback_version,
      position: row.position,
      estimatedWaitSeconds,
      sentence: row.announcing
        ? sentenceOf(row.position, estimatedWaitSeconds, !!row.announce_position, !!row.announce_estimated_wait)
        : null,
    };
  });
}

/** How long a queue's average is reused: it moves slowly, and computing it reads a day of calls. */
const HANDLE_TTL_MS = 60_000;
const handleCache = new WeakMap<object, Map<string, { seconds: number; at: number }>>();

/** The queue's average handle time (answer → end) over the last day, cached a minute per database handle. */
async function handleSeconds(db: Db, queueId: string): Promise<number> {
  let cache = handleCache.get(db);
  if (!cache) {
    cache = new Map();
    handleCache.set(db, cache);
  }
  const hit = cache.get(queueId);
  if (hit && Date.now() - hit.at < HANDLE_TTL_MS) return hit.seconds;
  const row = await sql<{ seconds: number | null }>`
    select avg(extract(epoch from (ended_at - answered_at)))::float as seconds from call
    where queue_id = ${queueId} and answered_at is not null and ended_at > now() - interval '1 day'
  `.execute(db);
  const seconds = row.rows[0]?.seconds ?? DEFAULT_HANDLE_SECONDS;
  cache.set(queueId, { seconds, at: Date.now() });
  return seconds;
}

/** "You are number 3 in the queue. Your estimated waiting time is about 4 minutes." (or part of it, or null). */
export function sentenceOf(position: number, waitSeconds: number, sayPosition: boolean, sayWait: boolean): string | null {
  const parts: string[] = [];
  if (sayPosition) parts.push(position === 1 ? 'You are next in the queue.' : `You are number ${position} in the queue.`);
  if (sayWait) {
    const minutes = Math.max(1, Math.round(waitSeconds / 60));
    parts.push(`Your estimated waiting time is about ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`);
  }
  return parts.length > 0 ? parts.join(' ') : null;
}

export class WaitingPlaces {
  readonly #db: Kysely<Database>;
  readonly #media: MediaRooms;
  readonly #emitPlace: (callId: string, place: CustomerPlace) => void;
  readonly #logger: Logger;
  /** What each page was last told, and what each announcement last said, by call. */
  readonly #shown = new Map<string, string>();
  readonly #said = new Map<string, string>();

  constructor(deps: {
    db: Kysely<Database>;
    media: MediaRooms;
    /** Tells the call's page its place (a small event: no view is read for it). */
    emitPlace: (callId: string, place: CustomerPlace) => void;
    logger: Logger;
  }) {
    this.#db = deps.db;
    this.#media = deps.media;
    this.#emitPlace = deps.emitPlace;
    this.#logger = deps.logger;
  }

  /** For the calls whose customers are connected here: push changed places, re-announce changed sentences. */
  async refresh(callIds: readonly string[]): Promise<void> {
    const places = await waitingPlaces(this.#db, callIds);
    const waiting = new Set(places.map((p) => p.callId));
    for (const map of [this.#shown, this.#said]) for (const id of map.keys()) if (!waiting.has(id)) map.delete(id);
    for (const place of places) {
      const shown = `${place.position}/${place.estimatedWaitSeconds}`;
      if (this.#shown.get(place.callId) !== shown) {
        this.#shown.set(place.callId, shown);
        this.#emitPlace(place.callId, { callId: place.callId, position: place.position, estimatedWaitSeconds: place.estimatedWaitSeconds });
      }
      if (place.sentence && this.#said.get(place.callId) !== place.sentence) {
        this.#said.set(place.callId, place.sentence);
        await this.#announce(place).catch((error: unknown) => {
          this.#said.delete(place.callId);
          this.#logger.warn({ err: error, callId: place.callId }, 'updating the position announcement failed');
        });
      }
    }
  }

  async #announce(place: WaitingPlace): Promise<void> {
    const program = await waitingProgram(this.#db, place.queueId, place);
    // The same music and no intro: the SFU keeps the music going and only swaps the announcement.
    await this.#media.play(place.roomId, `customer:${place.callId}`, { ...program, intro: [], version: place.playbackVersion });
  }
}

/** The spoken place, in the voice of the queue's announcement when it is speech (English otherwise). */
export async function placeAudio(db: Db, organisationId: string, queueId: string, sentence: string): Promise<string> {
  const voice = await db
    .selectFrom('waiting_strategy as w')
    .leftJoin('prompt as p', 'p.id', 'w.announcement_prompt_id')
    .select(['p.language', 'p.voice', 'p.speech_rate'])
    .where('w.queue_id', '=', queueId)
    .executeTakeFirst();
  return speechAudio(db, organisationId, {
    text: sentence,
    language: voice?.language ?? 'en',
    voice: voice?.voice ?? 'default',
    speechRate: voice?.speech_rate ?? 175,
  });
}
