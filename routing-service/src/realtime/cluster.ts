/**
 * Several routing-service instances behave as one: every Socket.IO room broadcast (an
 * agent's snapshot, a call's state, a live view) reaches sockets on all instances, through
 * PostgreSQL LISTEN/NOTIFY (@socket.io/postgres-adapter), so no other service is needed.
 */
import { createAdapter } from '@socket.io/postgres-adapter';
import pg from 'pg';
import type { Logger } from '../logger.ts';

export interface ClusterAdapter {
  close(): Promise<void>;
}

/** The part of a Socket.IO server this needs, whatever its event maps. */
interface AdaptableServer {
  adapter(adapter: ReturnType<typeof createAdapter>): unknown;
}

export function attachClusterAdapter(io: AdaptableServer, databaseUrl: string, logger: Logger): ClusterAdapter {
  // Its own small pool: one connection stays in LISTEN, one sends (so messages leave in order).
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', (error) => logger.warn({ err: error }, 'socket cluster connection failed; the adapter reconnects'));
  const make = createAdapter(pool, {
    errorHandler: (error) => logger.warn({ err: error }, 'socket cluster adapter error'),
  });
  // Socket.IO calls this with `new`: a plain function returning the adapter, not an arrow.
  io.adapter(function adapterFor(nsp: Parameters<typeof make>[0]) {
    return localFirst(make(nsp));
  } as typeof make);
  return {
    async close() {
      await pool.end();
    },
  };
}

/**
 * The adapter waits for its NOTIFY to be sent before delivering a broadcast to this
 * instance's own sockets: every snapshot would queue behind the one sending connection, and
 * an offer would reach a desktop connected here a database round trip late. Sending is still
 * in order on that connection, and the publisher reports its own failures (errorHandler).
 */
function localFirst<A extends object>(adapter: A): A {
  const published = adapter as unknown as { doPublish(message: unknown): Promise<string> };
  const publish = published.doPublish.bind(adapter);
  published.doPublish = (message) => {
    void publish(message);
    return Promise.resolve('');
  };
  return adapter;
}
