/**
 * Leg files left by a composer that was killed: the last page may be torn (cut in the middle
 * of a write). ffmpeg silently drops such a page (the audio in it is gone, the rest plays);
 * a resumed file must not keep it, or everything appended after it would be unreadable.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readOggPackets, scanOggPages } from './ogg.ts';
import { OggOpusFile } from './OggOpusFile.ts';
import { opusPackets, probe } from './testing/audio.ts';

describe('OggOpusFile.resume', () => {
  let dir: string;
  let tone: Buffer[];
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ogg-resume-'));
    tone = await opusPackets(2.4, 440, [[0, 2.4]]);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function written(name: string, packets: Buffer[]): Promise<string> {
    const file = new OggOpusFile(path.join(dir, name), 'mono', { STARTED_AT: '2026-11-26T10:00:00.000Z' });
    for (const packet of packets) file.write(packet, 960);
    await file.close();
    return file.path;
  }

  it('cuts a torn last page off and appends whole pages after the ones before it', async () => {
    const file = await written('torn.opus', tone.slice(0, 120));
    // 120 packets: pages of 50, 50, then 20 (the end-of-stream page), which is torn in the middle.
    await truncate(file, (await stat(file)).size - 100);
    assert.throws(() => readOggPackets(readFileSync(file)), /Bad CRC/, 'the torn page is there');
    const resumed = await OggOpusFile.resume(file);
    assert.ok(resumed);
    assert.ok(resumed.cutBytes > 0);
    assert.equal(resumed.tags['STARTED_AT'], '2026-11-26T10:00:00.000Z');
    assert.deepEqual(
      resumed.packets.map((p) => p.position),
      Array.from({ length: 100 }, (_, i) => i * 960),
    );
    assert.equal(resumed.file.samples, 100 * 960);
    for (const packet of tone.slice(0, 10)) resumed.file.write(packet, 960);
    await resumed.file.close();

    // Every page's CRC checks (readOggPackets throws otherwise), positions go on, one end of stream.
    const data = await readFile(file);
    const { packets, granules } = readOggPackets(data);
    assert.equal(packets.length, 2 + 110);
    assert.equal(granules.at(-1), 110n * 960n);
    const pages = scanOggPages(data).pages;
    assert.deepEqual(
      pages.map((p) => p.sequence),
      pages.map((_, i) => i),
    );
    assert.deepEqual(
      pages.map((p) => p.eos),
      pages.map((_, i) => i === pages.length - 1),
    );
    assert.ok(Math.abs((await probe(file)).durationS - 2.2) < 0.03);
  });

  it('goes on after a file that was ended (killed before its stop was filed): the end-of-stream flag moves to the new end', async () => {
    const file = await written('ended.opus', tone.slice(0, 60));
    const resumed = await OggOpusFile.resume(file);
    assert.ok(resumed);
    assert.equal(resumed.cutBytes, 0);
    for (const packet of tone.slice(60, 120)) resumed.file.write(packet, 960);
    await resumed.file.close();
    const data = await readFile(file);
    assert.equal(readOggPackets(data).packets.length, 2 + 120);
    const pages = scanOggPages(data).pages;
    assert.deepEqual(
      pages.map((p) => p.eos),
      pages.map((_, i) => i === pages.length - 1),
    );
  });

  it('removes a file whose headers never reached the disk: the leg starts a new one', async () => {
    const file = await written('headless.opus', tone.slice(0, 5));
    await truncate(file, 30);
    assert.equal(await OggOpusFile.resume(file), undefined);
    await assert.rejects(stat(file), /ENOENT/);
  });
});
