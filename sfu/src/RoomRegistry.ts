/** The SFU's rooms by id: creation (idempotent, placed on the least-loaded worker), lookup, closing. */
import type { Logger } from './logger.ts';
import type { WebRtcListen } from './mediasoup-adapter.ts';
import type { PlaybackDeps } from './playback/RoomPlaybacks.ts';
import { Room } from './Room.ts';
import type { WorkerPool } from './WorkerPool.ts';

export interface RoomRegistryOptions {
  pool: WorkerPool;
  listen: WebRtcListen;
  idleMs: number;
  logger: Logger;
  isParameterError: (error: unknown) => boolean;
  playback: PlaybackDeps;
}

export class RoomRegistry {
  readonly #options: RoomRegistryOptions;
  readonly #rooms = new Map<string, Room>();
  /** Rooms being created, so two concurrent POSTs for one id get one room. */
  readonly #creating = new Map<string, Promise<Room>>();
  #closed = false;

  constructor(options: RoomRegistryOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#rooms.size;
  }

  get(roomId: string): Room | undefined {
    return this.#rooms.get(roomId);
  }

  /** The room with this id, created when missing; `created` says which. */
  async getOrCreate(roomId: string): Promise<{ room: Room; created: boolean }> {
    const existing = this.#rooms.get(roomId);
    if (existing) return { room: existing, created: false };
    const pending = this.#creating.get(roomId);
    if (pending) return { room: await pending, created: false };
    const creation = this.#create(roomId);
    this.#creating.set(roomId, creation);
    try {
      return { room: await creation, created: true };
    } finally {
      this.#creating.delete(roomId);
    }
  }

  async #create(roomId: string): Promise<Room> {
    if (this.#closed) throw new Error('The SFU is shutting down');
    const { pool, listen, idleMs, logger, isParameterError, playback } = this.#options;
    const router = await pool.createRouter();
    const room = new Room({ id: roomId, router, listen, idleMs, logger, isParameterError, playback });
    this.#rooms.set(roomId, room);
    room.once('@close', () => {
      if (this.#rooms.get(roomId) === room) this.#rooms.delete(roomId);
    });
    logger.info({ roomId }, 'room created');
    return room;
  }

  /** Closes the room; false when there was none. */
  close(roomId: string, reason: string): boolean {
    const room = this.#rooms.get(roomId);
    if (!room) return false;
    room.close(reason);
    return true;
  }

  closeAll(reason: string): void {
    this.#closed = true;
    for (const room of [...this.#rooms.values()]) room.close(reason);
  }
}
