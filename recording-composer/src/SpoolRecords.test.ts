/**
 * The video legs' spool files must read back after a kill: a record torn by the kill (or one
 * whose bytes never reached the file) is cut off, everything before it is kept, and appending
 * goes on after the last whole record.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SpoolRecords } from './SpoolRecords.ts';

describe('SpoolRecords', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'spool-records-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const [first, second, third] = [Buffer.from('first frame'), Buffer.alloc(3000, 7), Buffer.from('third')];
  const bodies = [first, second, third];

  it('cuts a torn last record and goes on after the last whole one', async () => {
    const file = path.join(dir, 'torn.vp8');
    const spool = SpoolRecords.create(file);
    const offsets = bodies.map((body) => spool.append(body));
    spool.close();
    const whole = (await stat(file)).size;
    // The kill came in the middle of the last record's write.
    await truncate(file, whole - 2);
    const { file: reopened, records, cutBytes } = await SpoolRecords.reopen(file);
    assert.deepEqual(
      records.map((r) => r.body),
      bodies.slice(0, 2),
    );
    assert.deepEqual(
      records.map((r) => r.offset),
      offsets.slice(0, 2),
    );
    assert.equal(cutBytes, third.length + 8 - 2);
    reopened.append(Buffer.from('after the restart'));
    reopened.close();
    const again = await SpoolRecords.reopen(file);
    assert.equal(again.cutBytes, 0);
    assert.deepEqual(
      again.records.map((r) => r.body.toString()),
      ['first frame', second.toString(), 'after the restart'],
    );
    // Offsets point at the bodies in the file (VideoLeg reads frames by them).
    const data = await readFile(file);
    const last = again.records[2];
    assert.ok(last);
    assert.equal(data.subarray(last.offset, last.offset + last.body.length).toString(), 'after the restart');
  });

  it('stops at a record whose check fails (garbage the page cache never wrote out)', async () => {
    const file = path.join(dir, 'garbage.audio');
    const spool = SpoolRecords.create(file);
    spool.append(first);
    spool.close();
    await appendFile(file, Buffer.from([0, 0, 0, 4, 1, 2, 3, 4, 9, 9, 9, 9]));
    const { records, cutBytes } = await SpoolRecords.reopen(file);
    assert.equal(records.length, 1);
    assert.equal(cutBytes, 12);
    assert.equal((await stat(file)).size, first.length + 8);
  });

  it('reads a missing or empty file as no records', async () => {
    assert.deepEqual((await SpoolRecords.reopen(path.join(dir, 'none.vp8'))).records, []);
    await writeFile(path.join(dir, 'empty.vp8'), '');
    assert.deepEqual((await SpoolRecords.reopen(path.join(dir, 'empty.vp8'))).records, []);
  });
});
