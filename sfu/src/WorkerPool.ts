/**
 * One mediasoup worker per configured slot. A worker that dies is logged and replaced in its
 * slot (its rooms close themselves through their routers' close notification), so the
 * process keeps serving new calls without a supervisor restart.
 */
import type { Logger } from './logger.ts';
import {
  createRouter,
  createWorker,
  onWorkerDied,
  type MediasoupModule,
  type Router,
  type Worker,
  type WorkerSettings,
} from './mediasoup-adapter.ts';

export interface WorkerInfo {
  pid: number;
  /** Routers (one per room) currently on this worker. */
  routers: number;
}

export class WorkerPool {
  readonly #mediasoup: MediasoupModule;
  readonly #settings: WorkerSettings;
  readonly #logger: Logger;
  /** Worker → number of routers it carries. */
  readonly #load = new Map<Worker, number>();
  #closed = false;

  private constructor(mediasoup: MediasoupModule, settings: WorkerSettings, logger: Logger) {
    this.#mediasoup = mediasoup;
    this.#settings = settings;
    this.#logger = logger;
  }

  static async start(mediasoup: MediasoupModule, count: number, settings: WorkerSettings, logger: Logger): Promise<WorkerPool> {
    const pool = new WorkerPool(mediasoup, settings, logger);
    try {
      for (let i = 0; i < count; i++) await pool.#spawn();
    } catch (error) {
      pool.close();
      throw error;
    }
    return pool;
  }

  async #spawn(): Promise<void> {
    const worker = await createWorker(this.#mediasoup, this.#settings);
    this.#load.set(worker, 0);
    this.#logger.info({ workerPid: worker.pid }, 'mediasoup worker started');
    onWorkerDied(worker, (error) => {
      this.#load.delete(worker);
      if (this.#closed) return;
      this.#logger.error({ workerPid: worker.pid, err: error }, 'mediasoup worker died; starting a replacement');
      this.#spawn().catch((spawnError: unknown) => {
        this.#logger.fatal({ err: spawnError }, 'could not replace a dead mediasoup worker');
      });
    });
  }

  /** A router on the least-loaded live worker. */
  async createRouter(): Promise<Router> {
    if (this.#closed) throw new Error('Worker pool is closed');
    let best: Worker | undefined;
    for (const [worker, load] of this.#load) {
      if (!worker.closed && (best === undefined || load < (this.#load.get(best) ?? 0))) best = worker;
    }
    if (!best) throw new Error('No mediasoup worker available');
    const worker = best;
    const router = await createRouter(worker);
    this.#load.set(worker, (this.#load.get(worker) ?? 0) + 1);
    router.observer.once('close', () => {
      const load = this.#load.get(worker);
      if (load !== undefined) this.#load.set(worker, load - 1);
    });
    return router;
  }

  info(): WorkerInfo[] {
    return [...this.#load].map(([worker, routers]) => ({ pid: worker.pid, routers }));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const worker of this.#load.keys()) worker.close();
    this.#load.clear();
  }
}
