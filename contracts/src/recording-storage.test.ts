import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeIssues } from './validation.ts';
import { parseSftpHostKey, sftpSettingsSchema } from './recording-storage.ts';

// A real ed25519 public key (ssh-keygen) and its fingerprint (ssh-keygen -lf).
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKfWk103uXlvKrdPgR3Mg13uSKKbnGMn01+W0tIf5Rhw';
const FINGERPRINT = 'SHA256:DbpIeN+pv5jCl/OWm9SNFnrErhEg3Yjq7QV0pUfFUQo';

test('SFTP host key: OpenSSH key lines (with a comment or known_hosts names) and SHA256 fingerprints', () => {
  assert.deepEqual(parseSftpHostKey(`${ED25519} root@sftp`), { kind: 'key', type: 'ssh-ed25519', base64: ED25519.split(' ')[1] });
  assert.deepEqual(parseSftpHostKey(`sftp.example.com,10.0.0.5 ${ED25519}`)?.kind, 'key');
  assert.deepEqual(parseSftpHostKey(`  ${FINGERPRINT}  `), { kind: 'fingerprint', sha256: FINGERPRINT.slice(7) });
  // The type named must be the key's own; truncated keys and other text are refused.
  assert.equal(parseSftpHostKey(ED25519.replace('ssh-ed25519', 'ssh-rsa')), undefined);
  assert.equal(parseSftpHostKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5'), undefined);
  assert.equal(parseSftpHostKey('SHA256:short'), undefined);
  assert.equal(parseSftpHostKey('MD5:12:34'), undefined);
});

test('SFTP settings store the host key in one form; empty means none; garbage is refused with a clear message', () => {
  const base = { host: 'sftp.example.com', username: 'rec', password: 'secret' };
  assert.equal(sftpSettingsSchema.parse({ ...base, hostKey: `${ED25519} comment\n` }).hostKey, ED25519);
  assert.equal(sftpSettingsSchema.parse({ ...base, hostKey: '' }).hostKey, null);
  assert.equal(sftpSettingsSchema.parse(base).hostKey, null);
  const parsed = sftpSettingsSchema.safeParse({ ...base, hostKey: 'not a key' });
  assert.ok(!parsed.success);
  assert.match(describeIssues(parsed.error), /host key must be an OpenSSH public key line .* or a SHA256:… fingerprint/);
});
