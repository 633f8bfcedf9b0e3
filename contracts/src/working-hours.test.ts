import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_WORKING_HOURS, isOpen, workingHoursSchema } from './working-hours.ts';

const hours = { ...DEFAULT_WORKING_HOURS, enabled: true, timeZone: 'Europe/London' };

test('open on weekdays 09:00–17:00 local time, across daylight saving', () => {
  // Monday 2026-11-23: London is UTC+0 in winter.
  assert.equal(isOpen(hours, new Date('2026-11-23T08:59:00Z')), false);
  assert.equal(isOpen(hours, new Date('2026-11-23T09:00:00Z')), true);
  assert.equal(isOpen(hours, new Date('2026-11-23T16:59:00Z')), true);
  assert.equal(isOpen(hours, new Date('2026-11-23T17:00:00Z')), false);
  // Monday 2026-06-22: UTC+1 in summer, so 08:30 UTC is 09:30 local.
  assert.equal(isOpen(hours, new Date('2026-06-22T08:30:00Z')), true);
  // Saturday.
  assert.equal(isOpen(hours, new Date('2026-11-28T12:00:00Z')), false);
  assert.equal(isOpen({ ...hours, enabled: false }, new Date('2026-11-28T12:00:00Z')), true, 'off means always open');
});

test('a dated exception wins over the week: closed all day, or other hours', () => {
  const withExceptions = {
    ...hours,
    exceptions: [
      { date: '2026-12-25', closed: true, intervals: [] },
      { date: '2026-12-27', closed: false, intervals: [{ from: '10:00', to: '12:00' }] },
    ],
  };
  assert.equal(isOpen(withExceptions, new Date('2026-12-25T12:00:00Z')), false, 'Christmas Friday closed');
  assert.equal(isOpen(withExceptions, new Date('2026-12-27T11:00:00Z')), true, 'Sunday opened for two hours');
  assert.equal(isOpen(withExceptions, new Date('2026-12-27T13:00:00Z')), false);
});

test('validation: times, intervals, zones and dates, with clear messages', () => {
  const bad = (patch: object) => {
    const parsed = workingHoursSchema.safeParse({ ...hours, ...patch });
    return parsed.success ? '' : (parsed.error.issues[0]?.message ?? '');
  };
  assert.equal(bad({ timeZone: 'Mars/Olympus' }), 'Choose a time zone from the list.');
  assert.equal(
    bad({ weekly: [{ day: 1, from: '17:00', to: '09:00' }] }),
    'An opening interval must end after it starts (use 24:00 for midnight).',
  );
  assert.equal(bad({ weekly: [{ day: 1, from: '9:00', to: '17:00' }] }), 'Times are HH:MM, from 00:00 to 24:00.');
  assert.equal(bad({ weekly: [{ day: 8, from: '09:00', to: '17:00' }] }), 'Days are 1 (Monday) to 7 (Sunday).');
  assert.equal(bad({ exceptions: [{ date: '25/12/2026', closed: true, intervals: [] }] }), 'Exception dates are YYYY-MM-DD.');
  assert.equal(workingHoursSchema.safeParse({ ...hours, weekly: [{ day: 7, from: '00:00', to: '24:00' }] }).success, true);
});
