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

/** How long a new instance sends every broadcast before it may decide it is alone: past another's heartbeat (5 s) with room to spare. */
const DISCOVERY_MS = 12_000;

export function attachClusterAdapter(
  io: AdaptableServer,
  databaseUrl: string,
  logger: Logger,
  options: { discoveryMs?: number } = {},
): ClusterAdapter {
  // Its own small pool: one connection stays in LISTEN, one sends (so messages leave in order).
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', (error) => logger.warn({ err: error }, 'socket cluster connection failed; the adapter reconnects'));
  const make = createAdapter(pool, {
    errorHandler: (error) => logger.warn({ err: error }, 'socket cluster adapter error'),
  });
  // Socket.IO calls this with `new`: a plain function returning the adapter, not an arrow.
  io.adapter(function adapterFor(nsp: Parameters<typeof make>[0]) {
    return localFirst(make(nsp), Date.now() + (options.discoveryMs ?? DISCOVERY_MS));
  } as typeof make);
  return {
    async close() {
      await pool.end();
    },
  };
}

/** The adapter's message kind for a broadcast (socket.io-adapter's `MessageType.BROADCAST`). */
const BROADCAST = 3;

/**
 * Two changes to how the adapter sends a broadcast:
 * - It waited for its NOTIFY to be sent before delivering the broadcast to this instance's own
 *   sockets: every snapshot queued behind the one sending connection, and an offer reached a
 *   desktop connected here a database round trip late. Sending is still in order on that
 *   connection, and the publisher reports its own failures (errorHandler).
 * - An instance that knows of no other (the adapter learns of them from their heartbeats, sent
 *   at start and every 5 s) sends no broadcast at all: nobody would deliver it, and every
 *   NOTIFY also comes back to this instance's own LISTEN connection. A starting instance
 *   announces itself before it takes sockets, so the others know it at once; it may itself
 *   have missed their answer (its LISTEN was not ready yet), so for its first `aloneFrom` ms it
 *   sends every broadcast. Broadcasts that wait for acknowledgements (they carry a request id)
 *   are always sent.
 */
function localFirst<A extends object>(adapter: A, aloneFrom: number): A {
  const published = adapter as unknown as {
    doPublish(message: { type: number; requestId?: string }): Promise<string>;
    nodesMap: Map<string, number>;
  };
  const publish = published.doPublish.bind(adapter);
  published.doPublish = (message) => {
    const alone = published.nodesMap.size === 0 && Date.now() >= aloneFrom;
    if (!(alone && message.type === BROADCAST && message.requestId === undefined)) void publish(message);
    return Promise.resolve('');
  };
  return adapter;
}
