/**
 * The prompts this SFU can play, by the SHA-256 of their Ogg Opus file. The routing service
 * uploads a prompt before naming it in a playback (PUT /prompts/:hash); a restarted SFU
 * answers `prompt_missing` and the routing service uploads again. Kept in memory, least
 * recently used dropped first beyond the byte budget.
 */
import { createHash } from 'node:crypto';
import { SfuError } from '../errors.ts';
import { OggOpusError, parseOggOpus, type OggOpus } from './ogg-opus.ts';

/** Default byte budget of the library (sum of the Ogg files held). */
export const DEFAULT_PROMPT_LIBRARY_BYTES = 256 * 1024 * 1024;

export class PromptLibrary {
  readonly #prompts = new Map<string, { prompt: OggOpus; bytes: number }>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes = DEFAULT_PROMPT_LIBRARY_BYTES) {
    this.#maxBytes = maxBytes;
  }

  has(hash: string): boolean {
    return this.#prompts.has(hash);
  }

  /** Checks the file against its hash and parses it; a prompt already held is kept as is. */
  add(hash: string, file: Buffer): OggOpus {
    const held = this.#prompts.get(hash);
    if (held) return held.prompt;
    if (createHash('sha256').update(file).digest('hex') !== hash) {
      throw new SfuError('bad_request', 'The file does not match its hash');
    }
    let prompt: OggOpus;
    try {
      prompt = parseOggOpus(file);
    } catch (error) {
      if (error instanceof OggOpusError) throw new SfuError('bad_request', `Not a playable prompt: ${error.message}`);
      throw error;
    }
    this.#prompts.set(hash, { prompt, bytes: file.length });
    this.#bytes += file.length;
    for (const [oldHash, entry] of this.#prompts) {
      if (this.#bytes <= this.#maxBytes || oldHash === hash) break;
      this.#prompts.delete(oldHash);
      this.#bytes -= entry.bytes;
    }
    return prompt;
  }

  /** The prompts for these hashes, or `prompt_missing` naming the ones not held. */
  resolve(hashes: readonly string[]): OggOpus[] {
    const missing = hashes.filter((hash) => !this.#prompts.has(hash));
    if (missing.length > 0) throw new SfuError('prompt_missing', `Unknown prompts: ${[...new Set(missing)].join(', ')}`);
    return hashes.map((hash) => {
      const entry = this.#prompts.get(hash) as { prompt: OggOpus; bytes: number };
      // Map order is the LRU order: touching moves the entry to the end.
      this.#prompts.delete(hash);
      this.#prompts.set(hash, entry);
      return entry.prompt;
    });
  }
}
