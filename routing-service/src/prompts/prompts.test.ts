/**
 * Prompts in the console (SPEC §8): speech and uploaded files converted once to Ogg Opus and
 * stored by content hash, custom pronunciations, validation with clear messages, organisation
 * scoping, and the waiting strategy that uses them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type {
  ErrorBody,
  HoldConfigurationView,
  PromptView,
  Pronunciation,
  TransferSettingsView,
  VoiceOptions,
  WaitingStrategyView,
  WorkingHoursView,
} from '@cc/contracts';
import { DEFAULT_WAITING_STRATEGY } from '@cc/contracts';
import { parseOggOpus } from '@cc/sfu/ogg-opus';
import { api, login, seed, startTestContext, type TestContext } from '../testing/context.ts';
import { applyPronunciations } from './prompts.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestContext();
});
after(async () => {
  await ctx.close();
});

type Err = { error: ErrorBody };

async function center() {
  const org = await seed(ctx, { agents: [{ role: 'supervisor', name: 'Sam Supervisor' }, { name: 'Alex Agent' }] });
  const [supervisorEmail = '', agentEmail = ''] = org.emails;
  return { ...org, supervisor: await login(ctx, supervisorEmail), agent: await login(ctx, agentEmail) };
}

async function upload(cookie: string, name: string, file: Buffer, contentType = 'application/octet-stream') {
  const res = await fetch(
    `${ctx.url}/api/console/prompts/file?name=${encodeURIComponent(name)}&fileName=${encodeURIComponent(`${name}.bin`)}`,
    {
      method: 'POST',
      headers: { cookie, 'content-type': contentType },
      body: file,
    },
  );
  return { status: res.status, body: (await res.json()) as PromptView & Err };
}

function wavTone(seconds: number): Buffer {
  return execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${seconds}`,
    '-f',
    'wav',
    '-',
  ]);
}

/**
 * A 440 Hz tone of `seconds` encoded by ffmpeg as `kind`, written to a file as a phone would: the
 * mp4 muxer then puts the index (moov) after the audio, unless `extra` asks for +faststart.
 */
async function tone(kind: 'mp3' | 'm4a' | 'ogg' | 'wav' | 'flac', seconds: number, extra: string[] = []): Promise<Buffer> {
  const codec = { mp3: 'libmp3lame', m4a: 'aac', ogg: 'libvorbis', wav: 'pcm_s16le', flac: 'flac' }[kind];
  const dir = await mkdtemp(join(tmpdir(), 'prompt-test-'));
  try {
    const path = join(dir, `tone.${kind}`);
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`],
      ...['-c:a', codec, ...extra, path],
    ]);
    return await readFile(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const UNREADABLE = 'This file is not audio we can read. Upload an mp3, wav, m4a, ogg, flac or webm file.';

/** Runs `use` with os.tmpdir() pointing at an empty directory of its own, and returns what is left in it afterwards. */
async function leftInTmp(use: () => Promise<void>): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'prompt-tmp-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    await use();
    return await readdir(dir);
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    await rm(dir, { recursive: true, force: true });
  }
}

test('pronunciations replace whole words, any case, longest first', () => {
  const list: Pronunciation[] = [
    { word: 'CC', spokenAs: 'contact center' },
    { word: 'New York', spokenAs: 'New York' },
    { word: 'New York City', spokenAs: 'the big apple' },
  ];
  assert.equal(applyPronunciations('Welcome to cc. ACCOUNT stays.', list), 'Welcome to contact center. ACCOUNT stays.');
  assert.equal(applyPronunciations('From New York City with love', list), 'From the big apple with love');
});

test('a speech prompt is synthesised once to Ogg Opus and can be previewed', async () => {
  const c = await center();
  const created = await api<PromptView>(ctx, c.supervisor, 'POST', '/console/prompts/speech', {
    name: 'Greeting',
    text: 'Thank you for calling. All our agents are busy.',
    language: 'en',
    voice: 'f3',
    speechRate: 160,
  });
  assert.equal(created.status, 201);
  assert.equal(created.body.source, 'speech');
  assert.ok(created.body.durationMs > 1000 && created.body.durationMs < 10_000, `${created.body.durationMs} ms`);
  const audio = await fetch(`${ctx.url}${created.body.audioUrl}`, { headers: { cookie: c.supervisor } });
  assert.equal(audio.headers.get('content-type'), 'audio/ogg');
  const ogg = Buffer.from(await audio.arrayBuffer());
  assert.ok(Math.abs(parseOggOpus(ogg).durationMs - created.body.durationMs) < 1);

  // The same speech under another name is the same audio, stored once.
  const before = await ctx.t.db
    .selectFrom('prompt_audio')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  const again = await api<PromptView>(ctx, c.supervisor, 'POST', '/console/prompts/speech', {
    name: 'Greeting copy',
    text: 'Thank you for calling. All our agents are busy.',
    voice: 'f3',
    speechRate: 160,
  });
  assert.equal(again.status, 201);
  const afterCount = await ctx.t.db
    .selectFrom('prompt_audio')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  assert.equal(afterCount.n, before.n);

  const duplicate = await api<Err>(ctx, c.supervisor, 'POST', '/console/prompts/speech', { name: 'Greeting', text: 'Hello' });
  assert.equal(duplicate.status, 409);
  assert.equal(duplicate.body.error.message, 'A prompt named "Greeting" already exists.');

  const voices = await api<VoiceOptions>(ctx, c.supervisor, 'GET', '/console/voices');
  assert.ok(voices.body.languages.some((l) => l.code === 'en-us'));
  const codes = voices.body.languages.map((l) => l.code);
  assert.equal(new Set(codes).size, codes.length, 'one entry per language code (the console keys its list by code)');
  assert.ok(voices.body.voices.includes('f3'));
});

test('custom pronunciations change what is synthesised', async () => {
  const c = await center();
  const say = async (name: string) =>
    (await api<PromptView>(ctx, c.supervisor, 'POST', '/console/prompts/speech', { name, text: 'Welcome to ACME' })).body;
  const plain = await say('Plain');
  const set = await api<Pronunciation[]>(ctx, c.supervisor, 'PUT', '/console/pronunciations', [
    { word: 'acme', spokenAs: 'ack me corporation' },
  ]);
  assert.deepEqual(set.body, [{ word: 'acme', spokenAs: 'ack me corporation' }]);
  const spoken = await say('Spoken');
  assert.ok(spoken.durationMs > plain.durationMs + 300, `${plain.durationMs} → ${spoken.durationMs} ms`);
  const twice = await api<Err>(ctx, c.supervisor, 'PUT', '/console/pronunciations', [
    { word: 'ACME', spokenAs: 'a' },
    { word: 'acme', spokenAs: 'b' },
  ]);
  assert.equal(twice.status, 400);
  assert.equal(twice.body.error.message, '"acme" is listed twice; list each word once.');
});

test('bad speech settings are refused with a clear message and change nothing', async () => {
  const c = await center();
  const cases: [unknown, string][] = [
    [{ name: 'x', text: 'Hi', language: 'xx' }, 'There is no "xx" voice. Choose a language from the list.'],
    [{ name: 'x', text: 'Hi', voice: 'nobody' }, 'There is no voice "nobody". Choose a voice from the list.'],
    [{ name: 'x', text: 'Hi', speechRate: 1000 }, 'Speech rate must be a whole number of words per minute from 80 to 450.'],
    [{ name: 'x', text: '  ' }, 'The text to speak must be 1 to 2000 characters long.'],
  ];
  for (const [body, message] of cases) {
    const res = await api<Err>(ctx, c.supervisor, 'POST', '/console/prompts/speech', body);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.message, message);
  }
  assert.deepEqual((await api<PromptView[]>(ctx, c.supervisor, 'GET', '/console/prompts')).body, []);
});

test('an uploaded audio file is converted; other files, big files and agents are refused', async () => {
  const c = await center();
  const wav = await upload(c.supervisor, 'Music', wavTone(2));
  assert.equal(wav.status, 201);
  assert.equal(wav.body.source, 'file');
  assert.ok(Math.abs(wav.body.durationMs - 2000) <= 40, `${wav.body.durationMs} ms`);

  const text = await upload(c.supervisor, 'Notes', Buffer.from('just some text, not audio'));
  assert.equal(text.status, 400);
  assert.equal(text.body.error.message, 'This file is not audio we can read. Upload an mp3, wav, m4a, ogg, flac or webm file.');
  const big = await upload(c.supervisor, 'Big', Buffer.alloc(4 * 1024 * 1024 + 1, 1));
  assert.equal(big.status, 400);
  assert.equal(big.body.error.message, 'The file is larger than 4 MB. Upload a shorter or more compressed file.');
  const form = await upload(c.supervisor, 'Form', wavTone(1), 'text/plain');
  assert.equal(form.status, 400);
  assert.equal((await upload(c.agent, 'Mine', wavTone(1))).status, 403);
  assert.deepEqual(
    (await api<PromptView[]>(ctx, c.supervisor, 'GET', '/console/prompts')).body.map((p) => p.name),
    ['Music'],
  );
});

test('uploads in mp3, m4a (index at the end), ogg, wav and flac are converted to Ogg Opus; the same file is stored once', async () => {
  const c = await center();
  // Long enough (about 300 kB) that ffmpeg cannot reach back to the audio from a pipe's buffer.
  const seconds = 20;
  const m4a = await tone('m4a', seconds);
  assert.ok(m4a.indexOf('moov') > m4a.indexOf('mdat'), 'the m4a has its moov atom after the audio');
  const left = await leftInTmp(async () => {
    for (const kind of ['mp3', 'm4a', 'ogg', 'wav', 'flac'] as const) {
      const res = await upload(c.supervisor, `Tone ${kind}`, kind === 'm4a' ? m4a : await tone(kind, seconds));
      assert.equal(res.status, 201, `${kind}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.source, 'file');
      assert.ok(Math.abs(res.body.durationMs - seconds * 1000) <= 100, `${kind}: ${res.body.durationMs} ms`);
      const audio = await fetch(`${ctx.url}${res.body.audioUrl}`, { headers: { cookie: c.supervisor } });
      assert.equal(audio.headers.get('content-type'), 'audio/ogg');
      assert.equal(parseOggOpus(Buffer.from(await audio.arrayBuffer())).durationMs, res.body.durationMs, `${kind} is Ogg Opus`);
    }
    // Bit-exact conversion: the same upload again is the same audio, stored once.
    const count = () =>
      ctx.t.db
        .selectFrom('prompt_audio')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
    const before = await count();
    assert.equal((await upload(c.supervisor, 'Tone m4a again', m4a)).status, 201);
    assert.equal((await count()).n, before.n);
    const hashes = await ctx.t.db
      .selectFrom('prompt')
      .select(['name', 'audio_hash'])
      .where('name', 'in', ['Tone m4a', 'Tone m4a again'])
      .where('organisation_id', '=', c.organisationId)
      .execute();
    assert.equal(new Set(hashes.map((h) => h.audio_hash)).size, 1);
  });
  assert.deepEqual(left, [], 'the temporary copies of the uploads are removed');
});

test('a truncated, empty-of-sound or garbage upload is refused as unreadable, and a file over 4 MB as too large', async () => {
  const c = await center();
  const m4a = await tone('m4a', 4);
  const wav = await tone('wav', 1);
  const faststart = await tone('m4a', 4, ['-movflags', '+faststart']);
  const cases: [string, Buffer][] = [
    ['garbage', Buffer.from('\x00\x01 definitely not audio '.repeat(400), 'latin1')],
    // Cut before its index (moov): ffprobe cannot read it.
    ['cut m4a', m4a.subarray(0, Math.floor(m4a.length / 2))],
    // Its index (first) says what the audio is, but the audio is cut off: ffprobe accepts it and ffmpeg fails.
    ['m4a without its audio', faststart.subarray(0, faststart.indexOf('mdat') + 4)],
    // A WAV header with no samples: ffmpeg succeeds and writes no audio.
    ['wav without samples', wav.subarray(0, wav.indexOf('data') + 8)],
  ];
  const left = await leftInTmp(async () => {
    for (const [name, file] of cases) {
      const res = await upload(c.supervisor, name, file);
      assert.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.message, UNREADABLE, name);
    }
  });
  assert.deepEqual(left, [], 'the temporary copies of refused uploads are removed too');

  // 50 s of 48 kHz 16-bit mono WAV: a real file of 4.8 MB.
  const long = execFileSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=50:sample_rate=48000', '-f', 'wav', '-'],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  assert.ok(long.length > 4 * 1024 * 1024);
  const big = await upload(c.supervisor, 'Long', long);
  assert.equal(big.status, 400);
  assert.equal(big.body.error.message, 'The file is larger than 4 MB. Upload a shorter or more compressed file.');
  assert.deepEqual((await api<PromptView[]>(ctx, c.supervisor, 'GET', '/console/prompts')).body, [], 'nothing is saved');
});

test('a waiting strategy uses the organisation’s prompts; a prompt in use cannot be deleted', async () => {
  const c = await center();
  const other = await center();
  const path = `/console/queues/${c.defaultQueueId}/waiting-strategy`;
  assert.deepEqual((await api<WaitingStrategyView>(ctx, c.supervisor, 'GET', path)).body, DEFAULT_WAITING_STRATEGY);
  const greeting = (await api<PromptView>(ctx, c.supervisor, 'POST', '/console/prompts/speech', { name: 'Hello', text: 'Hello' })).body;
  const foreign = (await api<PromptView>(ctx, other.supervisor, 'POST', '/console/prompts/speech', { name: 'Theirs', text: 'Theirs' }))
    .body;

  const missing = await api<Err>(ctx, c.supervisor, 'PUT', path, { ...DEFAULT_WAITING_STRATEGY, greetingEnabled: true });
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error.message, 'Choose the greeting prompt, or switch the greeting off.');
  const theirs = await api<Err>(ctx, c.supervisor, 'PUT', path, {
    ...DEFAULT_WAITING_STRATEGY,
    greetingEnabled: true,
    greetingPromptId: foreign.id,
  });
  assert.equal(theirs.status, 400);
  const tooShort = await api<Err>(ctx, c.supervisor, 'PUT', path, { ...DEFAULT_WAITING_STRATEGY, announcementEverySeconds: 2 });
  assert.equal(tooShort.body.error.message, 'The announcement interval must be a whole number of seconds from 5 to 3600.');
  assert.deepEqual(
    (await api<WaitingStrategyView>(ctx, c.supervisor, 'GET', path)).body,
    DEFAULT_WAITING_STRATEGY,
    'refusals change nothing',
  );

  const saved = await api<WaitingStrategyView>(ctx, c.supervisor, 'PUT', path, {
    ...DEFAULT_WAITING_STRATEGY,
    greetingEnabled: true,
    greetingPromptId: greeting.id,
    maxWaitEnabled: true,
    maxWaitSeconds: 120,
  });
  assert.equal(saved.status, 200);
  assert.equal(saved.body.greetingPromptId, greeting.id);
  const inUse = await api<Err>(ctx, c.supervisor, 'DELETE', `/console/prompts/${greeting.id}`);
  assert.equal(inUse.status, 409);
  assert.equal(inUse.body.error.message, 'This prompt is in use by "Default". Choose another prompt there first.');
  assert.equal((await api<Err>(ctx, other.supervisor, 'GET', path)).status, 404, 'another organisation’s queue is not found');
  assert.equal((await api<Err>(ctx, c.supervisor, 'DELETE', `/console/prompts/${foreign.id}`)).status, 404);
});

test('a prompt in use anywhere cannot be deleted: the message names who uses it, and nothing changes', async () => {
  const c = await center();
  const queue = c.defaultQueueId;
  const prompt = async (name: string) =>
    (await api<PromptView>(ctx, c.supervisor, 'POST', '/console/prompts/speech', { name, text: name })).body.id;
  const refused = async (id: string, message: string) => {
    const res = await api<Err>(ctx, c.supervisor, 'DELETE', `/console/prompts/${id}`);
    assert.equal(res.status, 409, `${message}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.message, message);
    assert.ok(
      (await api<PromptView[]>(ctx, c.supervisor, 'GET', '/console/prompts')).body.some((p) => p.id === id),
      'the prompt is still there',
    );
  };

  const away = await prompt('Closed');
  const hours = await api<WorkingHoursView>(ctx, c.supervisor, 'GET', `/console/queues/${queue}/working-hours`);
  const savedHours = { ...hours.body, enabled: true, awayMessagePromptId: away };
  assert.equal((await api(ctx, c.supervisor, 'PUT', `/console/queues/${queue}/working-hours`, savedHours)).status, 200);
  await refused(away, 'This prompt is in use by the working hours of "Default". Choose another prompt there first.');
  assert.deepEqual((await api(ctx, c.supervisor, 'GET', `/console/queues/${queue}/working-hours`)).body, savedHours);

  const voicemail = await prompt('Leave a message');
  const strategy = { ...DEFAULT_WAITING_STRATEGY, voicemailPromptId: voicemail };
  assert.equal((await api(ctx, c.supervisor, 'PUT', `/console/queues/${queue}/waiting-strategy`, strategy)).status, 200);
  await refused(voicemail, 'This prompt is in use by "Default". Choose another prompt there first.');
  assert.deepEqual((await api(ctx, c.supervisor, 'GET', `/console/queues/${queue}/waiting-strategy`)).body, strategy);

  const holdMusic = await prompt('Hold music');
  const holdAnnouncement = await prompt('Hold announcement');
  const hold = await api<HoldConfigurationView>(ctx, c.supervisor, 'POST', '/console/hold-configurations', {
    name: 'Calm',
    musicPromptId: holdMusic,
    announcementEnabled: true,
    announcementPromptId: holdAnnouncement,
    announcementEverySeconds: 10,
  });
  assert.equal(hold.status, 201);
  await refused(holdMusic, 'This prompt is in use by hold configuration "Calm". Choose another prompt there first.');
  await refused(holdAnnouncement, 'This prompt is in use by hold configuration "Calm". Choose another prompt there first.');

  const transferMusic = await prompt('Transfer music');
  const transferMessage = await prompt('Transfer message');
  const transfer: TransferSettingsView = { musicPromptId: transferMusic, messagePromptId: transferMessage };
  assert.equal((await api(ctx, c.supervisor, 'PUT', '/console/transfer-settings', transfer)).status, 200);
  await refused(transferMusic, 'This prompt is in use by the transfer settings. Choose another prompt there first.');
  await refused(transferMessage, 'This prompt is in use by the transfer settings. Choose another prompt there first.');
  assert.deepEqual((await api(ctx, c.supervisor, 'GET', '/console/transfer-settings')).body, transfer, 'the transfer settings keep it');

  // Every user is named at once.
  const everywhere = await prompt('Everywhere');
  await api(ctx, c.supervisor, 'PUT', `/console/queues/${queue}/working-hours`, { ...savedHours, awayMessagePromptId: everywhere });
  await api(ctx, c.supervisor, 'PUT', '/console/transfer-settings', { ...transfer, messagePromptId: everywhere });
  await refused(
    everywhere,
    'This prompt is in use by the working hours of "Default", the transfer settings. Choose another prompt there first.',
  );

  // Once nothing uses it, it can be deleted.
  const unused = await prompt('Unused');
  assert.equal((await api(ctx, c.supervisor, 'DELETE', `/console/prompts/${unused}`)).status, 204);
});
