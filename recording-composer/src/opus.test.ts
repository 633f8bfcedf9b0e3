import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oggCrc } from './ogg.ts';
import { packetSamples, toSelfDelimited } from './opus.ts';

const bytes = (n: number, fill: number) => new Array<number>(n).fill(fill);

describe('Opus packets (RFC 6716)', () => {
  it('counts samples from the TOC byte', () => {
    assert.equal(packetSamples(Uint8Array.from([0xf8])), 960); // CELT FB 20 ms, code 0
    assert.equal(packetSamples(Uint8Array.from([0x78])), 960); // hybrid FB 20 ms
    assert.equal(packetSamples(Uint8Array.from([0x08 | 1])), 2 * 960); // SILK NB 20 ms, code 1
    assert.equal(packetSamples(Uint8Array.from([0xf8 | 3, 3])), 3 * 960); // code 3, 3 frames
    assert.equal(packetSamples(Uint8Array.from([])), 0);
  });

  it('writes the implicit length out in self-delimited form (Appendix B)', () => {
    // Code 0: the frame's length after the TOC; two bytes from 252 on.
    assert.deepEqual([...toSelfDelimited(Uint8Array.from([0xf8, ...bytes(5, 7)]))], [0xf8, 5, ...bytes(5, 7)]);
    const long = toSelfDelimited(Uint8Array.from([0xf8, ...bytes(300, 1)]));
    assert.deepEqual([...long.subarray(0, 3)], [0xf8, 252 + (300 & 3), (300 - (252 + (300 & 3))) >> 2]);
    // Code 1: one length for both equal frames.
    assert.deepEqual([...toSelfDelimited(Uint8Array.from([0xf9, ...bytes(8, 2)]))], [0xf9, 4, ...bytes(8, 2)]);
    // Code 2: the second frame's length after the first's.
    assert.deepEqual(
      [...toSelfDelimited(Uint8Array.from([0xfa, 3, ...bytes(3, 1), ...bytes(6, 2)]))],
      [0xfa, 3, 6, ...bytes(3, 1), ...bytes(6, 2)],
    );
    // Code 3 CBR with 2 bytes of padding: the frames' common length after the padding length.
    assert.deepEqual(
      [...toSelfDelimited(Uint8Array.from([0xfb, 0x40 | 2, 2, ...bytes(6, 3), 0, 0]))],
      [0xfb, 0x40 | 2, 2, 3, ...bytes(6, 3), 0, 0],
    );
    // Code 3 VBR, 3 frames of 2, 4, 5 bytes: the last frame's length after the other two.
    assert.deepEqual(
      [...toSelfDelimited(Uint8Array.from([0xfb, 0x80 | 3, 2, 4, ...bytes(2, 1), ...bytes(4, 2), ...bytes(5, 3)]))],
      [0xfb, 0x80 | 3, 2, 4, 5, ...bytes(2, 1), ...bytes(4, 2), ...bytes(5, 3)],
    );
  });

  it('computes the Ogg CRC (polynomial 0x04c11db7, unreflected)', () => {
    assert.equal(oggCrc(Buffer.from('OggS', 'latin1')), 0x5fb0a94f);
  });
});
