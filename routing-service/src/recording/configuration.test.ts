/**
 * SPEC §13 recording configuration in the console: supervisors only, storage secrets
 * write-only (never answered in clear), settings editable only while recording is disabled.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ErrorBody, RecordingConfigurationView, SftpHostKeyFetched } from '@cc/contracts';
import { freePort } from '@cc/migrations';
import { sshServer } from '@cc/recording-composer/testing/storage-servers';
import { api, login, seed, startTestContext, type TestContext } from '../testing/context.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestContext();
});
after(async () => {
  await ctx.close();
});

type Err = { error: ErrorBody };

test('recording settings: write-only secrets, editable only while disabled, supervisors only', async () => {
  const org = await seed(ctx, { agents: [{ role: 'supervisor', name: 'Sam Supervisor' }, { name: 'Alex Agent' }] });
  const supervisor = await login(ctx, org.emails[0] ?? '');
  const agent = await login(ctx, org.emails[1] ?? '');

  const initial = await api<RecordingConfigurationView>(ctx, supervisor, 'GET', '/recording-configuration');
  assert.equal(initial.status, 200);
  assert.deepEqual(
    { enabled: initial.body.enabled, storage: initial.body.storage, retentionDays: initial.body.retentionDays },
    { enabled: false, storage: 'local', retentionDays: 90 },
  );
  assert.equal((await api<Err>(ctx, agent, 'GET', '/recording-configuration')).status, 403);
  assert.equal((await api<Err>(ctx, agent, 'PUT', '/recording-configuration', { enabled: true })).status, 403);

  const secret = 'very-secret-key-0123456789';
  const saved = await api<RecordingConfigurationView>(ctx, supervisor, 'PUT', '/recording-configuration', {
    storage: 'sftp',
    sftp: { host: 'sftp.example.org', username: 'recorder', password: secret, path: '/recordings' },
    s3: { bucket: 'calls', accessKeyId: 'AKIA', secretAccessKey: secret, endpoint: 'http://127.0.0.1:9000', forcePathStyle: true },
    composition: 'per_leg',
    enabled: true,
  });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  assert.ok(!JSON.stringify(saved.body).includes(secret), 'a secret is never answered');
  assert.equal(saved.body.sftp?.hasPassword, true);
  assert.equal(saved.body.sftp?.hasPrivateKey, false);
  assert.equal(saved.body.sftp?.port, 22);
  assert.equal(saved.body.s3?.hasSecretAccessKey, true);
  assert.ok(!JSON.stringify((await api(ctx, supervisor, 'GET', '/recording-configuration')).body).includes(secret));
  const stored = await ctx.t.db
    .selectFrom('recording_configuration')
    .select(['storage_sftp', 'composition'])
    .where('organisation_id', '=', org.organisationId)
    .executeTakeFirstOrThrow();
  assert.equal(stored.storage_sftp?.password, secret, 'the composer gets the secret from the database');

  // Enabled: nothing but disabling is accepted, and nothing changes.
  const refused = await api<Err>(ctx, supervisor, 'PUT', '/recording-configuration', { composition: 'merged' });
  assert.equal(refused.status, 409);
  assert.match(refused.body.error.message, /only while recording is disabled/);
  assert.equal(
    (
      await ctx.t.db
        .selectFrom('recording_configuration')
        .select('composition')
        .where('organisation_id', '=', org.organisationId)
        .executeTakeFirstOrThrow()
    ).composition,
    'per_leg',
  );
  assert.equal((await api(ctx, supervisor, 'PUT', '/recording-configuration', { enabled: false })).status, 200);

  // Disabled: an omitted secret is kept; validation names what is wrong.
  const edited = await api<RecordingConfigurationView>(ctx, supervisor, 'PUT', '/recording-configuration', {
    sftp: { port: 2222 },
    composition: 'merged',
  });
  assert.equal(edited.status, 200);
  assert.equal(edited.body.sftp?.port, 2222);
  assert.equal(edited.body.sftp?.hasPassword, true);
  const noAuth = await api<Err>(ctx, supervisor, 'PUT', '/recording-configuration', { sftp: { password: null } });
  assert.equal(noAuth.status, 400);
  assert.match(noAuth.body.error.message, /password or a private key/);
  const badRetention = await api<Err>(ctx, supervisor, 'PUT', '/recording-configuration', { retentionDays: 0 });
  assert.equal(badRetention.status, 400);
});

test('SFTP host key: checked at the boundary, stored in one form, shown; "Fetch host key" gives what the real server presents', async () => {
  const org = await seed(ctx, { agents: [{ role: 'supervisor', name: 'Sam Supervisor' }, { name: 'Alex Agent' }] });
  const supervisor = await login(ctx, org.emails[0] ?? '');
  const agent = await login(ctx, org.emails[1] ?? '');
  const sftp = { host: '127.0.0.1', username: 'recorder', password: 'secret-password' };

  const bad = await api<Err>(ctx, supervisor, 'PUT', '/recording-configuration', {
    sftp: { ...sftp, hostKey: 'ssh-ed25519 AAAAnot-a-key' },
  });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /^SFTP settings: .*host key must be an OpenSSH public key line .* or a SHA256:… fingerprint/);

  const sshd = await sshServer(await freePort());
  try {
    const fetched = await api<SftpHostKeyFetched>(ctx, supervisor, 'POST', '/recording-configuration/sftp-host-key', {
      host: '127.0.0.1',
      port: sshd.port,
    });
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.fingerprint, sshd.hostKeyFingerprint);
    assert.equal(fetched.body.hostKey, sshd.hostKey.split(' ').slice(0, 2).join(' '));
    assert.equal(
      (await api(ctx, agent, 'POST', '/recording-configuration/sftp-host-key', { host: '127.0.0.1', port: sshd.port })).status,
      403,
    );

    // Pasted with its comment, stored and shown as `type base64`; an empty value removes it.
    const saved = await api<RecordingConfigurationView>(ctx, supervisor, 'PUT', '/recording-configuration', {
      storage: 'sftp',
      sftp: { ...sftp, port: sshd.port, hostKey: sshd.hostKey },
    });
    assert.equal(saved.status, 200);
    assert.equal(saved.body.sftp?.hostKey, fetched.body.hostKey);
    const byFingerprint = await api<RecordingConfigurationView>(ctx, supervisor, 'PUT', '/recording-configuration', {
      sftp: { hostKey: sshd.hostKeyFingerprint },
    });
    assert.equal(byFingerprint.body.sftp?.hostKey, sshd.hostKeyFingerprint);
    const cleared = await api<RecordingConfigurationView>(ctx, supervisor, 'PUT', '/recording-configuration', { sftp: { hostKey: '' } });
    assert.equal(cleared.body.sftp?.hostKey, null);
  } finally {
    await sshd.close();
  }

  const nobody = await api<Err>(ctx, supervisor, 'POST', '/recording-configuration/sftp-host-key', {
    host: '127.0.0.1',
    port: await freePort(),
  });
  assert.equal(nobody.status, 400);
  assert.match(nobody.body.error.message, /^No SSH server answered at 127\.0\.0\.1:/);
  const invalid = await api<Err>(ctx, supervisor, 'POST', '/recording-configuration/sftp-host-key', { host: '', port: 0 });
  assert.equal(invalid.status, 400);
});
