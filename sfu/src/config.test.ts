import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DEFAULT_WORKER_BIN, loadConfig } from './config.ts';

const secrets = { MEDIA_SECRET: 'm'.repeat(32), SFU_CONTROL_SECRET: 'c'.repeat(32) };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(secrets);
    assert.equal(config.signal.host, '127.0.0.1');
    assert.equal(config.signal.port, 4001);
    assert.equal(config.signal.publicUrl, undefined);
    assert.deepEqual(config.control, { host: '127.0.0.1', port: 4002 });
    assert.deepEqual(config.rtc, { listenIp: '127.0.0.1', announcedIp: undefined, minPort: 40000, maxPort: 40999 });
    assert.ok(config.workers >= 1);
    assert.equal(config.roomIdleSeconds, 600);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.workerBin, DEFAULT_WORKER_BIN);
  });

  it('reads every key', () => {
    const config = loadConfig({
      ...secrets,
      SFU_SIGNAL_HOST: '0.0.0.0',
      SFU_SIGNAL_PORT: '5001',
      SFU_PUBLIC_URL: 'https://media.example.com',
      SFU_CONTROL_PORT: '5002',
      SFU_LISTEN_IP: '0.0.0.0',
      SFU_ANNOUNCED_IP: '203.0.113.7',
      SFU_RTC_MIN_PORT: '50000',
      SFU_RTC_MAX_PORT: '50100',
      SFU_WORKERS: '3',
      SFU_ROOM_IDLE_SECONDS: '30',
      LOG_LEVEL: 'debug',
    });
    assert.equal(config.signal.port, 5001);
    assert.equal(config.signal.publicUrl, 'https://media.example.com');
    assert.equal(config.rtc.announcedIp, '203.0.113.7');
    assert.equal(config.rtc.maxPort, 50100);
    assert.equal(config.workers, 3);
    assert.equal(config.roomIdleSeconds, 30);
  });

  it('refuses missing or short secrets and bad numbers, naming each key', () => {
    assert.throws(
      () => loadConfig({ MEDIA_SECRET: 'short', SFU_SIGNAL_PORT: 'abc', SFU_RTC_MIN_PORT: '41000', SFU_RTC_MAX_PORT: '40000' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /MEDIA_SECRET: MEDIA_SECRET must be at least 32 characters/);
        assert.match(error.message, /SFU_CONTROL_SECRET: SFU_CONTROL_SECRET is required/);
        assert.match(error.message, /SFU_SIGNAL_PORT/);
        return true;
      },
    );
    assert.throws(
      () => loadConfig({ ...secrets, SFU_RTC_MIN_PORT: '41000', SFU_RTC_MAX_PORT: '40000' }),
      /SFU_RTC_MIN_PORT must not be greater/,
    );
  });
});
