/** Prompts, pronunciations and waiting strategies (SPEC §8): bodies and views of `/api/console`. */
import { z } from 'zod';

/** Uploaded prompt files are refused above this size. */
export const PROMPT_FILE_MAX_BYTES = 4 * 1024 * 1024;
/** Speech rate in words per minute (espeak-ng's range; 175 is its default). */
export const SPEECH_RATE_RANGE = { min: 80, max: 450, default: 175 } as const;
export const PROMPT_NAME_MAX = 80;
export const PROMPT_TEXT_MAX = 2000;
/** Announcement repeated every N s of waiting. */
export const ANNOUNCEMENT_EVERY_RANGE = { min: 5, max: 3600, default: 30 } as const;
/** Maximum wait before the last message and `timed_out`. */
export const MAX_WAIT_RANGE = { min: 5, max: 86_400, default: 600 } as const;
/** The longest voicemail after the tone. */
export const VOICEMAIL_MAX_RANGE = { min: 10, max: 600, default: 120 } as const;
/** What a response code does: file a callback request, or let the caller leave a voicemail (which files one too). */
export const RESPONSE_CODE_ACTIONS = ['callback', 'voicemail'] as const;
export type ResponseCodeActionName = (typeof RESPONSE_CODE_ACTIONS)[number];

const NAME_MESSAGE = `A prompt name must be 1 to ${PROMPT_NAME_MAX} characters long.`;
const TEXT_MESSAGE = `The text to speak must be 1 to ${PROMPT_TEXT_MAX} characters long.`;
const RATE_MESSAGE = `Speech rate must be a whole number of words per minute from ${SPEECH_RATE_RANGE.min} to ${SPEECH_RATE_RANGE.max}.`;
const LANGUAGE_MESSAGE = 'Choose a language from the list of voices.';
const VOICE_MESSAGE = 'Choose a voice from the list.';

const seconds = (range: { min: number; max: number }, what: string) => {
  const message = `${what} must be a whole number of seconds from ${range.min} to ${range.max}.`;
  return z.number({ error: message }).int(message).min(range.min, message).max(range.max, message);
};

export const promptName = z.string({ error: NAME_MESSAGE }).trim().min(1, NAME_MESSAGE).max(PROMPT_NAME_MAX, NAME_MESSAGE);

/** A text-to-speech prompt: what to say and how. */
export const speechPromptSchema = z.strictObject({
  name: promptName,
  text: z.string({ error: TEXT_MESSAGE }).trim().min(1, TEXT_MESSAGE).max(PROMPT_TEXT_MAX, TEXT_MESSAGE),
  language: z
    .string({ error: LANGUAGE_MESSAGE })
    .regex(/^[a-z]{2,3}(-[a-z0-9]{1,8})*$/i, LANGUAGE_MESSAGE)
    .default('en'),
  voice: z
    .string({ error: VOICE_MESSAGE })
    .regex(/^[a-z0-9_-]{1,32}$/i, VOICE_MESSAGE)
    .default('default'),
  speechRate: z
    .number({ error: RATE_MESSAGE })
    .int(RATE_MESSAGE)
    .min(SPEECH_RATE_RANGE.min, RATE_MESSAGE)
    .max(SPEECH_RATE_RANGE.max, RATE_MESSAGE)
    .default(SPEECH_RATE_RANGE.default),
});
export type SpeechPromptRequest = z.input<typeof speechPromptSchema>;

/** Query of `POST /api/console/prompts/file` (the body is the file itself). */
export const filePromptQuerySchema = z.object({
  name: promptName,
  fileName: z.string({ error: 'Give the file name.' }).trim().min(1, 'Give the file name.').max(255, 'The file name is too long.'),
});

export interface PromptView {
  id: string;
  name: string;
  source: 'speech' | 'file';
  text: string | null;
  language: string | null;
  voice: string | null;
  speechRate: number | null;
  fileName: string | null;
  durationMs: number;
  /** Where the console previews it (Ogg Opus). */
  audioUrl: string;
  updatedAt: string;
}

export interface VoiceOptions {
  languages: { code: string; name: string }[];
  voices: string[];
}

const WORD_MESSAGE = 'A word must be 1 to 100 characters long.';
const SPOKEN_MESSAGE = 'How it is said must be 1 to 200 characters long.';
export const pronunciationSchema = z.strictObject({
  word: z.string({ error: WORD_MESSAGE }).trim().min(1, WORD_MESSAGE).max(100, WORD_MESSAGE),
  spokenAs: z.string({ error: SPOKEN_MESSAGE }).trim().min(1, SPOKEN_MESSAGE).max(200, SPOKEN_MESSAGE),
});
export const pronunciationsSetSchema = z
  .array(pronunciationSchema, { error: 'Send the pronunciations as a list.' })
  .max(500, 'At most 500 pronunciations.');
export type Pronunciation = z.infer<typeof pronunciationSchema>;

const promptRef = z.uuid({ error: 'Choose a prompt from the list.' }).nullable();
const toggle = (what: string) => z.boolean({ error: `${what} must be on or off.` });

/** A queue's waiting strategy: each part has its own switch. A part switched on needs its prompt. */
export const waitingStrategySchema = z
  .strictObject({
    greetingEnabled: toggle('Greeting'),
    greetingPromptId: promptRef,
    musicEnabled: toggle('Hold music'),
    /** Null: the built-in music. */
    musicPromptId: promptRef,
    announcementEnabled: toggle('Announcement'),
    announcementPromptId: promptRef,
    announcementEverySeconds: seconds(ANNOUNCEMENT_EVERY_RANGE, 'The announcement interval'),
    /** The announcement also says the caller's position in the queue, and the estimated wait. */
    announcePosition: toggle('Position in queue'),
    announceEstimatedWait: toggle('Estimated wait'),
    /** Digits the customer may press (keypad on the call page) during the announcement or the away message. */
    responseCodes: z
      .array(
        z.object({
          context: z.enum(['announcement', 'away'], { error: 'A response code is for the announcement or the away message.' }),
          digit: z.string().regex(/^[0-9*#]$/, 'A response code is one key: 0 to 9, * or #.'),
          action: z.enum(RESPONSE_CODE_ACTIONS, { error: 'Choose what the key does.' }),
        }),
      )
      .max(24)
      .refine((codes) => new Set(codes.map((c) => `${c.context}:${c.digit}`)).size === codes.length, {
        message: 'Each key may do one thing per message.',
      }),
    /** How long the away message waits for a key before the call ends. */
    digitWaitSeconds: z
      .number({ error: 'The wait for a key must be a whole number of seconds from 0 to 30.' })
      .int('The wait for a key must be a whole number of seconds from 0 to 30.')
      .min(0, 'The wait for a key must be a whole number of seconds from 0 to 30.')
      .max(30, 'The wait for a key must be a whole number of seconds from 0 to 30.'),
    maxWaitEnabled: toggle('Maximum wait'),
    maxWaitSeconds: seconds(MAX_WAIT_RANGE, 'Maximum wait'),
    lastMessagePromptId: promptRef,
    /** Said before the voicemail tone; null: the tone alone. */
    voicemailPromptId: promptRef,
    voicemailMaxSeconds: seconds(VOICEMAIL_MAX_RANGE, 'The longest voicemail'),
  })
  .superRefine((strategy, ctx) => {
    if (strategy.greetingEnabled && !strategy.greetingPromptId)
      ctx.addIssue({ code: 'custom', message: 'Choose the greeting prompt, or switch the greeting off.' });
    if (strategy.announcementEnabled && !strategy.announcementPromptId)
      ctx.addIssue({ code: 'custom', message: 'Choose the announcement prompt, or switch the announcement off.' });
  });
export type WaitingStrategyView = z.infer<typeof waitingStrategySchema>;

export const DEFAULT_WAITING_STRATEGY: WaitingStrategyView = {
  greetingEnabled: false,
  greetingPromptId: null,
  musicEnabled: true,
  musicPromptId: null,
  announcementEnabled: false,
  announcementPromptId: null,
  announcementEverySeconds: ANNOUNCEMENT_EVERY_RANGE.default,
  announcePosition: false,
  announceEstimatedWait: false,
  responseCodes: [],
  digitWaitSeconds: 5,
  maxWaitEnabled: false,
  maxWaitSeconds: MAX_WAIT_RANGE.default,
  lastMessagePromptId: null,
  voicemailPromptId: null,
  voicemailMaxSeconds: VOICEMAIL_MAX_RANGE.default,
};

/** Hold announcement interval (SPEC §5: default every 10 s). */
export const HOLD_ANNOUNCEMENT_EVERY_RANGE = { min: 5, max: 3600, default: 10 } as const;
const HOLD_NAME_MESSAGE = 'A hold configuration name must be 1 to 80 characters long.';

/** What a caller hears on hold (SPEC §5): music, and an announcement every N s. */
export const holdConfigurationSchema = z
  .strictObject({
    name: z.string({ error: HOLD_NAME_MESSAGE }).trim().min(1, HOLD_NAME_MESSAGE).max(80, HOLD_NAME_MESSAGE),
    /** Null: the built-in music. */
    musicPromptId: promptRef,
    announcementEnabled: toggle('Announcement'),
    announcementPromptId: promptRef,
    announcementEverySeconds: seconds(HOLD_ANNOUNCEMENT_EVERY_RANGE, 'The announcement interval'),
  })
  .superRefine((hold, ctx) => {
    if (hold.announcementEnabled && !hold.announcementPromptId)
      ctx.addIssue({ code: 'custom', message: 'Choose the announcement prompt, or switch the announcement off.' });
  });
export type HoldConfigurationRequest = z.infer<typeof holdConfigurationSchema>;
export interface HoldConfigurationView extends HoldConfigurationRequest {
  id: string;
  /** The organisation's Default: queues without their own configuration use it. */
  isDefault: boolean;
}

/** What the customer hears while a transfer rings (organisation-wide): the message once, then the music. */
export const transferSettingsSchema = z.strictObject({
  /** Null: the built-in music. */
  musicPromptId: promptRef,
  /** Null: no message, music only. */
  messagePromptId: promptRef,
});
export type TransferSettingsView = z.infer<typeof transferSettingsSchema>;
