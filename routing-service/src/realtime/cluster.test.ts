/**
 * The cluster adapter (ARCHITECTURE: several routing-service instances behave as one): a
 * broadcast reaches a socket connected to another instance; an instance that knows of no other
 * sends none through the database. Two real Socket.IO servers on loopback, one real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { createTestDatabase, type TestDatabase } from '@cc/migrations/testing';
import { createLogger } from '../logger.ts';
import { attachClusterAdapter, type ClusterAdapter } from './cluster.ts';

const ROOM = 'call:cluster-test';
/** A short discovery time, so the test need not wait the production one. */
const DISCOVERY_MS = 1_500;
const logger = createLogger('silent');
let database: TestDatabase;
/** Broadcasts that went through the database, as a third connection LISTENing on the adapter's channel sees them. */
const broadcastsSent: unknown[] = [];
let listener: pg.Client;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  database = await createTestDatabase();
  listener = new pg.Client({ connectionString: database.url });
  await listener.connect();
  listener.on('notification', (n) => {
    const message = JSON.parse(n.payload ?? '{}') as { type?: number };
    if (message.type === 3) broadcastsSent.push(message);
  });
  await listener.query('listen "socket.io#/"');
});
after(async () => {
  for (const close of closers.reverse()) await close();
  await listener.end();
  await database.drop();
});

/** A Socket.IO server with the cluster adapter, on a loopback port; its sockets join ROOM. */
async function instance(): Promise<{ io: Server; url: string }> {
  const http = createServer();
  const io = new Server(http);
  const adapter: ClusterAdapter = attachClusterAdapter(io, database.url, logger, { discoveryMs: DISCOVERY_MS });
  io.on('connection', (socket) => void socket.join(ROOM));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    await io.close();
    await adapter.close();
  });
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

async function client(url: string): Promise<Socket> {
  const socket = connect(url, { transports: ['websocket'], forceNew: true });
  closers.push(async () => void socket.close());
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  // The server's join runs in its connection handler, just after the handshake.
  await new Promise((r) => setTimeout(r, 50));
  return socket;
}

const received = (socket: Socket, event: string) =>
  new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${event} did not arrive`)), 5_000);
    socket.once(event, (payload: unknown) => {
      clearTimeout(timer);
      resolve(payload);
    });
  });

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a lone instance delivers to its own sockets without a NOTIFY once past its discovery time; with a second one, broadcasts reach its sockets', async () => {
  const a = await instance();
  const onA = await client(a.url);
  // While it may not have heard the others yet, a new instance sends every broadcast.
  const early = received(onA, 'call:state');
  a.io.to(ROOM).emit('call:state', { n: 0 });
  assert.deepEqual(await early, { n: 0 });
  await until(async () => broadcastsSent.length === 1, 'the broadcast of a new instance to go through the database');
  await new Promise((r) => setTimeout(r, DISCOVERY_MS));
  broadcastsSent.length = 0;
  const first = received(onA, 'call:state');
  a.io.to(ROOM).emit('call:state', { n: 1 });
  assert.deepEqual(await first, { n: 1 });
  // Give a NOTIFY, had one been sent, time to arrive.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(broadcastsSent.length, 0, 'a lone instance sent a broadcast through the database');

  const b = await instance();
  await until(async () => (await a.io.of('/').adapter.serverCount()) === 2, 'the first instance to learn of the second');
  const onB = await client(b.url);
  const acrossA = received(onA, 'call:state');
  const acrossB = received(onB, 'call:state');
  a.io.to(ROOM).emit('call:state', { n: 2 });
  assert.deepEqual(await acrossA, { n: 2 });
  assert.deepEqual(await acrossB, { n: 2 }, 'a socket on the other instance missed the broadcast');
  assert.equal(broadcastsSent.length, 1);
});
