/**
 * Real storage servers on loopback for the composer's tests (SPEC §13; no test doubles):
 * `s3rver` as its own process (the S3 HTTP API the AWS SDK talks to), and OpenSSH's `sshd`
 * with its own configuration, host key and the dedicated user `scripts/setup.sh` creates,
 * accepting both a password (set for each run) and a key (generated for each run).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

const run = promisify(execFile);

/** Waits until a child prints `pattern` (its "listening" line), or fails when it exits first. */
function printed(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`${what} exited (${code}) before it was ready:\n${output}`));
    };
    const cleanup = () => {
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** S3 credentials s3rver checks signatures against. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3Server {
  endpoint: string;
  /** Lines s3rver logged so far, colours removed (`info: Stored part 2 of <uploadId> in bucket …` for a multipart upload's parts). */
  log: string[];
  /** Stops the process (an outage); the data folder stays. */
  stop(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1:`port` over `dir`, with `bucket` created. */
export async function startS3rver(options: { dir: string; port: number; bucket: string }): Promise<S3Server> {
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('s3rver/package.json')), 'bin', 's3rver.js');
  const child = spawn(
    process.execPath,
    [bin, '-d', options.dir, '-a', '127.0.0.1', '-p', String(options.port), '--configure-bucket', options.bucket],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log: string[] = [];
  // Kept for tests that look at how an upload went (parts); reading also keeps the pipes from filling.
  let partial = '';
  const keep = (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    // eslint-disable-next-line no-control-regex -- winston colours its levels with ANSI escapes
    log.push(...lines.map((line) => line.replace(/\u001b\[[0-9;]*m/g, '')).filter(Boolean));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  await printed(child, /listening/i, 's3rver');
  return { endpoint: `http://127.0.0.1:${options.port}`, log, stop: () => stopChild(child) };
}

export interface S3Object {
  key: string;
  body: Buffer;
}

/** Every object in `bucket`, bodies included, read straight from the server (not through the composer's store); by key (as `Array.prototype.sort` orders strings). */
export async function s3Objects(endpoint: string, bucket: string): Promise<S3Object[]> {
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  try {
    const objects: S3Object[] = [];
    let token: string | undefined;
    do {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const { Key: key } of listed.Contents ?? []) {
        if (key === undefined) continue;
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        objects.push({ key, body: Buffer.from((await object.Body?.transformToByteArray()) ?? []) });
      }
      token = listed.NextContinuationToken;
    } while (token);
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  } finally {
    s3.destroy();
  }
}

/** The dedicated SFTP test user (created by scripts/setup.sh). */
export const SFTP_TEST_USER = 'cc-sftp-test';

export interface SshServer {
  port: number;
  user: string;
  password: string;
  /** OpenSSH private key accepted for the user. */
  privateKey: string;
  /** The server's host key as an OpenSSH public key line (`ssh-ed25519 AAAA… comment`), and its `SHA256:…` fingerprint. */
  hostKey: string;
  hostKeyFingerprint: string;
  /** Folder the user may write, as an absolute path (on this machine's disk). */
  uploadDir: string;
  start(): Promise<void>;
  /** Stops sshd (an outage); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  /** Stops sshd and removes its folder. */
  close(): Promise<void>;
}

/** An sshd on 127.0.0.1:`port` serving SFTP only, to the test user, by password or key. */
export async function sshServer(port: number): Promise<SshServer> {
  const { stdout } = await run('id', ['-u', SFTP_TEST_USER]).catch(() => {
    throw new Error(`The SFTP test user ${SFTP_TEST_USER} is missing: run scripts/setup.sh`);
  });
  const uid = Number(stdout.trim());
  const { stdout: gidOut } = await run('id', ['-g', SFTP_TEST_USER]);
  const gid = Number(gidOut.trim());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sshd-'));
  // The user must reach its upload folder through this one.
  await chmod(dir, 0o755);
  const uploadDir = path.join(dir, 'upload');
  await mkdir(uploadDir);
  await chown(uploadDir, uid, gid);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'client_key')]);
  const privateKey = await readFile(path.join(dir, 'client_key'), 'utf8');
  const hostKey = (await readFile(path.join(dir, 'host_key.pub'), 'utf8')).trim();
  const hostKeyFingerprint = (await run('ssh-keygen', ['-lf', path.join(dir, 'host_key.pub')])).stdout.split(' ')[1] ?? '';
  await writeFile(path.join(dir, 'authorized_keys'), await readFile(path.join(dir, 'client_key.pub')));
  // A fresh password every run: nothing secret lives in the repository.
  const password = randomBytes(18).toString('base64url');
  const chpasswd = run('chpasswd');
  chpasswd.child.stdin?.end(`${SFTP_TEST_USER}:${password}\n`);
  await chpasswd;
  const config = path.join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host_key')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      // The key files live in a root-owned temp folder, not the user's home.
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication yes',
      'PubkeyAuthentication yes',
      'KbdInteractiveAuthentication no',
      `AllowUsers ${SFTP_TEST_USER}`,
      'Subsystem sftp internal-sftp',
      'ForceCommand internal-sftp',
      '',
    ].join('\n'),
  );
  // sshd's privilege separation folder (Debian creates it only when its service starts).
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  let child: ChildProcess | undefined;
  const server: SshServer = {
    port,
    user: SFTP_TEST_USER,
    password,
    privateKey,
    hostKey,
    hostKeyFingerprint,
    uploadDir,
    async start() {
      child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      await printed(child, /Server listening on/, 'sshd');
      child.stderr?.resume();
      child.stdout?.resume();
    },
    async stop() {
      if (child) await stopChild(child);
      child = undefined;
    },
    async close() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
