/**
 * What a participant hears, packet by packet: a real mediasoup router carries the playback
 * producer's RTP to a DirectTransport consumer, and the test drives the playback's clock by
 * hand, so the sequence (intro, loop, announcement every N s) is checked without waiting.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import {
  createDirectTransport,
  createPlaybackProducer,
  createRouter,
  createWorker,
  loadMediasoup,
  type Router,
  type Worker,
} from '../mediasoup-adapter.ts';
import { sha256, toneOgg } from '../testing.ts';
import { parseOggOpus } from './ogg-opus.ts';
import { Pacer } from './Pacer.ts';
import { Playback, PLAYBACK_PAYLOAD_TYPE } from './Playback.ts';
import { PromptLibrary } from './PromptLibrary.ts';

/** The payload of an RTP packet (after CSRCs and any header extension the router added). */
function rtpPayload(packet: Buffer): Buffer {
  const first = packet.readUInt8(0);
  let offset = 12 + (first & 0x0f) * 4;
  if (first & 0x10) offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  return packet.subarray(offset);
}

const WORKER_BIN = process.env['MEDIASOUP_WORKER_BIN'] ?? '/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker';

describe('playback', () => {
  let worker: Worker;
  let router: Router;
  const library = new PromptLibrary();
  const files = { greeting: toneOgg(1000, 1), music: toneOgg(400, 1), announcement: toneOgg(2000, 0.4) };
  const hash = { greeting: sha256(files.greeting), music: sha256(files.music), announcement: sha256(files.announcement) };
  /** Which prompt an RTP payload came from. */
  const origin = new Map<string, string>();

  before(async () => {
    const mediasoup = await loadMediasoup(WORKER_BIN);
    worker = await createWorker(mediasoup, { logLevel: 'warn', rtcMinPort: 46000, rtcMaxPort: 46010 });
    router = await createRouter(worker);
    for (const [name, file] of Object.entries(files)) {
      library.add(hash[name as keyof typeof hash], file);
      for (const packet of parseOggOpus(file).packets) origin.set(packet.data.toString('hex'), name);
    }
  });
  after(() => worker.close());

  /** A playback whose producer a DirectTransport consumer listens to; `received` lists prompt names per packet. */
  async function listen() {
    const transport = await createDirectTransport(router);
    const producer = await createPlaybackProducer(transport, PLAYBACK_PAYLOAD_TYPE, 1234);
    const playback = new Playback({ peerId: 'customer', producer, ssrc: 1234, library, pacer: new Pacer(pino({ level: 'silent' })) });
    const sink = await createDirectTransport(router);
    const consumer = await sink.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    const received: { name: string; payload: string; sequence: number; timestamp: number }[] = [];
    consumer.on('rtp', (packet: Buffer) => {
      const payload = rtpPayload(packet).toString('hex');
      received.push({
        name: origin.get(payload) ?? 'unknown',
        payload,
        sequence: packet.readUInt16BE(2),
        timestamp: packet.readUInt32BE(4),
      });
    });
    /** Runs the playback's clock from `from` ms for `seconds` in 10 ms steps, then waits for the router to deliver. */
    async function run(from: number, seconds: number): Promise<void> {
      for (let now = from; now <= from + seconds * 1000; now += 10) playback.tick(now);
      const deadline = Date.now() + 5_000;
      while (received.length < playback.packetsSent && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(received.length, playback.packetsSent, 'every packet sent was routed to the consumer');
    }
    return { playback, received, run, close: () => (transport.close(), sink.close()) };
  }

  const packets = (name: keyof typeof files) => parseOggOpus(files[name]).packets.length;

  function runs(received: { name: string }[]): string[] {
    const out: string[] = [];
    for (const { name } of received) if (out.at(-1) !== name) out.push(name);
    return out;
  }

  it('plays the intro once, then loops the music with the announcement every N s of music', async () => {
    const { playback, received, run, close } = await listen();
    const started = playback.set({
      intro: [hash.greeting],
      loop: hash.music,
      interrupt: { everySeconds: 5, prompts: [hash.announcement] },
    });
    // ffmpeg's 1 s tone is 51 packets of 20 ms (the encoder's pre-skip adds one).
    assert.equal(started.introMs, packets('greeting') * 20);
    await run(0, 11.7);
    // The greeting, 5 s of music (the 1 s tone looped), the announcement, 5 s of music, the announcement…
    assert.deepEqual(runs(received), ['greeting', 'music', 'announcement', 'music', 'announcement']);
    const count = (name: string) => received.filter((r) => r.name === name).length;
    assert.equal(count('greeting'), packets('greeting'));
    assert.equal(count('music'), 500);
    // Real-time pace: 11.7 s of clock sent 11.7 s of audio (20 ms packets), give or take one.
    assert.ok(Math.abs(received.length - 586) <= 1, `${received.length} packets`);
    // One stream: contiguous sequence numbers and timestamps 960 samples apart.
    for (let i = 1; i < received.length; i += 1) {
      const [a, b] = [received[i - 1], received[i]] as [(typeof received)[0], (typeof received)[0]];
      assert.equal(b.sequence, (a.sequence + 1) & 0xffff);
      assert.equal(b.timestamp, (a.timestamp + 960) >>> 0);
    }
    playback.close();
    close();
  });

  it('a new announcement with the same music keeps the music going; stop silences at once', async () => {
    const { playback, received, run, close } = await listen();
    playback.set({ intro: [], loop: hash.music, interrupt: null });
    await run(0, 0.49);
    const before = received.length;
    playback.set({ intro: [], loop: hash.music, interrupt: { everySeconds: 5, prompts: [hash.greeting] } });
    await run(500, 0.49);
    // The music did not start over: packets went on at their place in the loop.
    assert.equal(received.length, before + 25);
    const music = parseOggOpus(files.music).packets.map((p) => p.data.toString('hex'));
    assert.deepEqual(
      received.map((r) => r.payload),
      music.slice(0, 50),
    );
    playback.stop();
    await run(1010, 1);
    assert.equal(received.length, before + 25);
    assert.equal(playback.playing, false);
    playback.close();
    close();
  });

  it('announcements without music have silence between them', async () => {
    const { playback, received, run, close } = await listen();
    origin.set('f8fffe', 'silence');
    playback.set({ intro: [], loop: null, interrupt: { everySeconds: 5, prompts: [hash.announcement] } });
    await run(0, 5.2);
    assert.deepEqual(runs(received), ['silence', 'announcement']);
    assert.equal(received.filter((r) => r.name === 'silence').length, 250);
    playback.close();
    close();
  });

  it('refuses a program naming a prompt it does not hold, and keeps the old one', async () => {
    const { playback, received, run, close } = await listen();
    playback.set({ intro: [], loop: hash.music, interrupt: null });
    assert.throws(() => playback.set({ intro: ['0'.repeat(64)], loop: null, interrupt: null }), { code: 'prompt_missing' });
    await run(0, 0.2);
    assert.deepEqual(runs(received), ['music']);
    playback.close();
    close();
  });
});
