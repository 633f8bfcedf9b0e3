/**
 * Hold (SPEC §5): the agent puts the customer on hold and takes them back. While on hold the
 * call is `on_hold`, the agent's status is `on_hold`, neither side hears the other (the SFU
 * isolates the customer) and the customer hears the queue's hold configuration. The timeline
 * gets "call held" and "call resumed" (with how long it was held).
 */
import type { Call } from '@cc/migrations';
import type { PlaybackProgramInput } from '@cc/contracts';
import { builtInMusicAudio } from '../prompts/prompts.ts';
import { invalidTransition } from '../errors.ts';
import { setAgentStatus } from './agent-status.ts';
import type { Changes } from './changes.ts';
import { eventOf } from './calls.ts';
import type { Db, Trx } from './db.ts';
import { recordEvent } from './timeline.ts';
import { intend } from './waiting.ts';

export async function hold(trx: Trx, changes: Changes, call: Call, agentId: string, now: Date): Promise<void> {
  if (call.agent_id !== agentId || (call.state !== 'connected' && call.state !== 'on_hold')) {
    throw invalidTransition('This call is not in progress with you');
  }
  if (call.state === 'on_hold') return; // holding again (a retried click) is the same hold
  await trx.updateTable('call').set({ state: 'on_hold' }).where('id', '=', call.id).execute();
  await setAgentStatus(trx, changes, agentId, 'on_hold', null, now);
  await recordEvent(trx, eventOf(call, 'call_held', { type: 'agent', id: agentId }, now));
  changes.calls.add(call.id);
  await intend(trx, changes, call, { kind: 'hold', queueId: call.queue_id });
}

export async function resume(trx: Trx, changes: Changes, call: Call, agentId: string, now: Date): Promise<void> {
  if (call.agent_id !== agentId || (call.state !== 'connected' && call.state !== 'on_hold')) {
    throw invalidTransition('This call is not in progress with you');
  }
  if (call.state === 'connected') return;
  const held = await trx
    .selectFrom('call_event')
    .select('at')
    .where('call_id', '=', call.id)
    .where('type', '=', 'call_held')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  await trx.updateTable('call').set({ state: 'connected' }).where('id', '=', call.id).execute();
  await setAgentStatus(trx, changes, agentId, 'on_call', null, now);
  const heldSeconds = held ? Math.round((now.getTime() - held.at.getTime()) / 100) / 10 : null;
  await recordEvent(trx, eventOf(call, 'call_resumed', { type: 'agent', id: agentId }, now, { heldSeconds }));
  changes.calls.add(call.id);
  await intend(trx, changes, call, { kind: 'resume' });
}

/** The queue's hold configuration (or the organisation's Default) as the SFU plays it. */
export async function holdProgram(db: Db, queueId: string): Promise<PlaybackProgramInput> {
  const config = await db
    .selectFrom('queue as q')
    .innerJoin('hold_configuration as h', (join) =>
      join.on((eb) =>
        eb.or([
          eb('h.id', '=', eb.ref('q.hold_configuration_id')),
          eb.and([
            eb('q.hold_configuration_id', 'is', null),
            eb('h.organisation_id', '=', eb.ref('q.organisation_id')),
            eb('h.is_default', '=', true),
          ]),
        ]),
      ),
    )
    .leftJoin('prompt as music', 'music.id', 'h.music_prompt_id')
    .leftJoin('prompt as announcement', 'announcement.id', 'h.announcement_prompt_id')
    .select([
      'music.audio_hash as music',
      'announcement.audio_hash as announcement',
      'h.announcement_enabled',
      'h.announcement_every_seconds',
    ])
    .where('q.id', '=', queueId)
    .executeTakeFirst();
  const music = config?.music ?? (await builtInMusicAudio(db));
  const announcement = config?.announcement_enabled ? config.announcement : null;
  return {
    intro: [],
    loop: music,
    interrupt: announcement && config ? { everySeconds: config.announcement_every_seconds, prompts: [announcement] } : null,
  };
}
