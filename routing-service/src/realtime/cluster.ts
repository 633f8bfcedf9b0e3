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
  // Its own small pool: one connection stays in LISTEN, one sends.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', (error) => logger.warn({ err: error }, 'socket cluster connection failed; the adapter reconnects'));
  io.adapter(
    createAdapter(pool, {
      errorHandler: (error) => logger.warn({ err: error }, 'socket cluster adapter error'),
    }),
  );
  return {
    async close() {
      await pool.end();
    },
  };
}
