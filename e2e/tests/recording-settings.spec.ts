/**
 * Recording settings in the console (SPEC §13): a supervisor chooses SFTP storage with a
 * password, turns recording on, and then cannot change the settings until it is off again;
 * the stored password is never shown back. The SFTP server's host key is fetched from a real
 * sshd, confirmed and saved; a pasted key that is not one is refused with the reason.
 */
import { freePort } from '@cc/migrations';
import { sshServer } from '@cc/recording-composer/testing/storage-servers';
import { expect, test } from '../fixtures/center.ts';

test('recording settings: storage with a write-only password, editable only while recording is off', async ({ seedOrg, agentPage, db }) => {
  const org = await seedOrg({ agents: [{ role: 'supervisor', name: 'Sam Supervisor' }] });
  const page = await agentPage(org.agents[0]?.email ?? '');
  await page.getByRole('link', { name: 'Console' }).click();
  const section = page.getByRole('region', { name: 'Recording' });
  await expect(section).toContainText('Recording is off.');

  const form = section.getByRole('form', { name: 'Recording settings' });
  await form.getByLabel('Files').selectOption('per_leg');
  await form.getByLabel('Storage').selectOption('sftp');
  const sftp = form.getByRole('group', { name: 'SFTP storage' });
  await sftp.getByLabel('Host', { exact: true }).fill('sftp.example.org');
  await sftp.getByLabel('Folder').fill('/recordings');
  await sftp.getByLabel('User').fill('recorder');
  await sftp.getByLabel('Password').fill('s3cret-password');
  await form.getByRole('button', { name: 'Save recording settings' }).click();
  await expect(section.getByRole('status')).toHaveText('Recording settings saved.');
  // Write-only: the field is empty again, and says a password is stored.
  await expect(sftp.getByLabel('Password')).toHaveValue('');
  await expect(sftp.getByLabel('Password')).toHaveAttribute('placeholder', /Stored/);

  await section.getByRole('button', { name: 'Turn recording on' }).click();
  await expect(section).toContainText('Recording is on.');
  await expect(form.getByLabel('Files')).toBeDisabled();
  await expect(form.getByRole('button', { name: 'Save recording settings' })).toBeDisabled();

  const stored = await db
    .selectFrom('recording_configuration')
    .select(['enabled', 'storage', 'composition', 'storage_sftp'])
    .where('organisation_id', '=', org.organisationId)
    .executeTakeFirstOrThrow();
  expect(stored).toMatchObject({ enabled: true, storage: 'sftp', composition: 'per_leg' });
  expect(stored.storage_sftp?.password).toBe('s3cret-password');

  await section.getByRole('button', { name: 'Turn recording off' }).click();
  await expect(form.getByLabel('Files')).toBeEnabled();
});

test('SFTP host key: fetched from the server, confirmed by saving; a wrong paste is refused', async ({ seedOrg, agentPage, db }) => {
  const sshd = await sshServer(await freePort());
  try {
    const org = await seedOrg({ agents: [{ role: 'supervisor', name: 'Sam Supervisor' }] });
    const page = await agentPage(org.agents[0]?.email ?? '');
    await page.getByRole('link', { name: 'Console' }).click();
    const section = page.getByRole('region', { name: 'Recording' });
    const form = section.getByRole('form', { name: 'Recording settings' });
    await form.getByLabel('Storage').selectOption('sftp');
    const sftp = form.getByRole('group', { name: 'SFTP storage' });
    await sftp.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await sftp.getByLabel('Port').fill(String(sshd.port));
    await sftp.getByLabel('User').fill(sshd.user);
    await sftp.getByLabel('Password').fill(sshd.password);

    // Not a key: the server says what it expects.
    await sftp.getByLabel('Server host key').fill('ssh-ed25519 not-a-key');
    await form.getByRole('button', { name: 'Save recording settings' }).click();
    await expect(section.getByRole('alert')).toContainText('host key must be an OpenSSH public key line');

    // Trust on first use: the key the server presents, with its fingerprint to check.
    await sftp.getByRole('button', { name: 'Fetch host key' }).click();
    await expect(sftp.getByRole('status')).toContainText(
      `127.0.0.1:${sshd.port} presents the key with fingerprint ${sshd.hostKeyFingerprint}`,
    );
    const canonical = sshd.hostKey.split(' ').slice(0, 2).join(' ');
    await expect(sftp.getByLabel('Server host key')).toHaveValue(canonical);
    await sftp.getByLabel('Password').fill(sshd.password);
    await form.getByRole('button', { name: 'Save recording settings' }).click();
    await expect(section.getByRole('status')).toHaveText('Recording settings saved.');
    await expect(sftp.getByLabel('Server host key')).toHaveValue(canonical);

    const stored = await db
      .selectFrom('recording_configuration')
      .select('storage_sftp')
      .where('organisation_id', '=', org.organisationId)
      .executeTakeFirstOrThrow();
    expect(stored.storage_sftp?.hostKey).toBe(canonical);
  } finally {
    await sshd.close();
  }
});
