/** The hand-written table types and the migrated schema must name the same tables and columns. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Database } from './database.ts';
import { createTestDatabase } from './testing.ts';

/** Every table of `Database` with every one of its columns; the compiler rejects a missing or extra one. */
const COLUMNS: { [T in keyof Database]: { [C in keyof Required<Database[T]>]: true } } = {
  organisation: {
    id: true,
    name: true,
    brand_colour: true,
    ring_timeout_seconds: true,
    wrap_up_seconds: true,
    time_zone: true,
    created_at: true,
  },
  user_account: { id: true, organisation_id: true, email: true, name: true, role: true, password_hash: true, created_at: true },
  user_session: { id_hash: true, user_id: true, created_at: true, expires_at: true },
  agent: {
    user_id: true,
    organisation_id: true,
    status: true,
    status_reason: true,
    status_since: true,
    capacity: true,
    wrap_up_seconds: true,
    idle_since: true,
  },
  agent_status_event: { id: true, organisation_id: true, agent_id: true, status: true, reason: true, at: true },
  queue: {
    id: true,
    organisation_id: true,
    name: true,
    is_default: true,
    aaa_enabled: true,
    strategy: true,
    missed_call_away: true,
    service_level_seconds: true,
    created_at: true,
  },
  queue_member: { queue_id: true, agent_id: true, priority: true, last_offered_at: true },
  contact: { id: true, organisation_id: true, name: true, phone_numbers: true, email: true, tags: true, created_at: true },
  conversation: {
    id: true,
    organisation_id: true,
    customer_identity: true,
    contact_id: true,
    status: true,
    notes: true,
    rating: true,
    agent_id: true,
    created_at: true,
    updated_at: true,
  },
  call_link: {
    id: true,
    organisation_id: true,
    token_hash: true,
    type: true,
    routing: true,
    queue_id: true,
    created_by: true,
    identity: true,
    conversation_id: true,
    allow_video: true,
    valid_from: true,
    valid_until: true,
    used_at: true,
    revoked_at: true,
    created_at: true,
  },
  call: {
    id: true,
    organisation_id: true,
    conversation_id: true,
    queue_id: true,
    call_link_id: true,
    kind: true,
    media: true,
    state: true,
    priority: true,
    target_agent_id: true,
    agent_id: true,
    room_id: true,
    queued_at: true,
    ring_started_at: true,
    answered_at: true,
    ended_at: true,
    end_reason: true,
  },
  call_offer: { id: true, call_id: true, agent_id: true, offered_at: true, outcome: true, outcome_at: true },
  call_event: {
    id: true,
    organisation_id: true,
    conversation_id: true,
    call_id: true,
    type: true,
    actor_type: true,
    actor_id: true,
    data: true,
    at: true,
  },
  wrap_up: { call_id: true, agent_id: true, started_at: true, ends_at: true, ended_at: true },
  timer: { id: true, organisation_id: true, kind: true, subject_id: true, agent_id: true, due_at: true, created_at: true },
  socket_io_attachments: { id: true, created_at: true, payload: true },
  recording_configuration: {
    organisation_id: true,
    enabled: true,
    directions: true,
    video_mode: true,
    composition: true,
    storage: true,
    updated_at: true,
  },
  call_recording_settings: {
    call_id: true,
    organisation_id: true,
    record: true,
    video_mode: true,
    composition: true,
    storage: true,
    frozen_at: true,
  },
  recording_session: { id: true, organisation_id: true, call_id: true, agent_id: true, state: true, started_at: true, stopped_at: true },
  recording: {
    id: true,
    organisation_id: true,
    session_id: true,
    call_id: true,
    conversation_id: true,
    agent_id: true,
    leg: true,
    channel_layout: true,
    status: true,
    storage: true,
    file_name: true,
    started_at: true,
    ended_at: true,
    duration_ms: true,
    bytes: true,
    error: true,
    created_at: true,
  },
};

test('the table types match the migrated schema, table by table and column by column', async () => {
  const t = await createTestDatabase();
  try {
    const tables = (await t.db.introspection.getTables()).filter((table) => table.schema === 'public');
    const actual = Object.fromEntries(tables.map((table) => [table.name, table.columns.map((c) => c.name).sort()]));
    const expected = Object.fromEntries(Object.entries(COLUMNS).map(([name, cols]) => [name, Object.keys(cols).sort()]));
    assert.deepEqual(actual, expected);
  } finally {
    await t.drop();
  }
});
