/** Working hours per queue (SPEC §9): bodies and views of `/api/console/queues/:id/working-hours`. */
import { z } from 'zod';

const TIME_MESSAGE = 'Times are HH:MM, from 00:00 to 24:00.';
const time = z.string({ error: TIME_MESSAGE }).regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, TIME_MESSAGE);
const interval = z
  .object({ from: time, to: time })
  .refine((i) => i.from < i.to, { message: 'An opening interval must end after it starts (use 24:00 for midnight).' });
export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const workingHoursSchema = z.strictObject({
  /** Off: the queue is always open. */
  enabled: z.boolean({ error: 'Working hours must be on or off.' }),
  timeZone: z.string({ error: 'Choose a time zone.' }).refine(isTimeZone, { message: 'Choose a time zone from the list.' }),
  /** Opening intervals, `day` 1 (Monday) to 7 (Sunday), local time. */
  weekly: z
    .array(
      z.object({
        day: z.number().int().min(1, 'Days are 1 (Monday) to 7 (Sunday).').max(7, 'Days are 1 (Monday) to 7 (Sunday).'),
        from: time,
        to: time,
      }),
    )
    .max(70, 'At most 70 opening intervals a week.')
    .refine((list) => list.every((i) => i.from < i.to), {
      message: 'An opening interval must end after it starts (use 24:00 for midnight).',
    }),
  /** Dated exceptions (holidays, special hours): closed all day, or open only in their intervals. */
  exceptions: z
    .array(
      z.object({
        date: z.iso.date({ error: 'Exception dates are YYYY-MM-DD.' }),
        closed: z.boolean(),
        intervals: z.array(interval).max(10),
      }),
    )
    .max(400, 'At most 400 exceptions.')
    .refine((list) => new Set(list.map((e) => e.date)).size === list.length, { message: 'Each date may have one exception only.' }),
  /** Played to callers outside the hours before the call ends; null: the call ends at once. */
  awayMessagePromptId: z.uuid({ error: 'Choose a prompt from the list.' }).nullable(),
});
export type WorkingHoursView = z.infer<typeof workingHoursSchema>;

export const DEFAULT_WORKING_HOURS: WorkingHoursView = {
  enabled: false,
  timeZone: 'UTC',
  weekly: [1, 2, 3, 4, 5].map((day) => ({ day, from: '09:00', to: '17:00' })),
  exceptions: [],
  awayMessagePromptId: null,
};

/** Whether the hours are open at `at` (SPEC §9): a dated exception for the local date wins over the weekly intervals. */
export function isOpen(hours: Pick<WorkingHoursView, 'enabled' | 'timeZone' | 'weekly' | 'exceptions'>, at: Date): boolean {
  if (!hours.enabled) return true;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: hours.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const date = `${parts['year']}-${parts['month']}-${parts['day']}`;
  const clock = `${parts['hour']}:${parts['minute']}`;
  const within = (i: { from: string; to: string }) => i.from <= clock && clock < i.to;
  const exception = hours.exceptions.find((e) => e.date === date);
  if (exception) return !exception.closed && exception.intervals.some(within);
  const day = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts['weekday'] ?? '') + 1;
  return hours.weekly.some((i) => i.day === day && within(i));
}
