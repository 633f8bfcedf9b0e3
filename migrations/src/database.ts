/**
 * Table types of the database, one interface per table, with Selectable/Insertable/Updateable
 * aliases. Written by hand so status columns carry their domain unions; `schema.test.ts`
 * fails when they and the migrated schema disagree.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type {
  ActorType,
  AgentRecordingOverride,
  AgentStatus,
  CallbackStatus,
  CallKind,
  CallLinkRouting,
  CallLinkType,
  CallMedia,
  CallState,
  ConversationStatus,
  QueueStrategy,
  ResponseCodeActionName,
  RecordingChannelLayout,
  RecordingDirections,
  RecordingComposition,
  RecordingContainer,
  RecordingFileLeg,
  RecordingStatus,
  RecordingStorage,
  RecordingVideoMode,
  RecordingMetadata,
  S3Settings,
  SftpSettings,
  UserRole,
} from '@cc/contracts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type BigId = ColumnType<string, never, never>;

export interface OrganisationTable {
  id: Generated<string>;
  name: string;
  brand_colour: Generated<string>;
  ring_timeout_seconds: Generated<number>;
  wrap_up_seconds: Generated<number>;
  /** IANA time zone; "today" in the live view starts at midnight here. */
  time_zone: Generated<string>;
  /** What the customer hears while a transfer rings: the message once, then the music (null: built-in music). */
  transfer_music_prompt_id: string | null;
  transfer_message_prompt_id: string | null;
  created_at: CreatedAt;
}

export interface UserAccountTable {
  id: Generated<string>;
  organisation_id: string;
  email: string;
  name: string;
  role: UserRole;
  password_hash: string;
  created_at: CreatedAt;
}

export interface UserSessionTable {
  id_hash: string;
  user_id: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface AgentTable {
  user_id: string;
  organisation_id: string;
  status: ColumnType<AgentStatus, AgentStatus | undefined, AgentStatus>;
  status_reason: string | null;
  status_since: ColumnType<Date, Date | string | undefined, Date | string>;
  capacity: Generated<number>;
  wrap_up_seconds: number | null;
  idle_since: ColumnType<Date, Date | string | undefined, Date | string>;
  /** Null: the organisation's recording setting; `off`: never recorded; else the directions recorded. */
  recording_override: AgentRecordingOverride | null;
}

export interface AgentStatusEventTable {
  id: BigId;
  organisation_id: string;
  agent_id: string;
  status: AgentStatus;
  reason: string | null;
  at: ColumnType<Date, Date | string | undefined, never>;
}

export interface QueueTable {
  id: Generated<string>;
  organisation_id: string;
  name: string;
  is_default: Generated<boolean>;
  aaa_enabled: Generated<boolean>;
  strategy: ColumnType<QueueStrategy, QueueStrategy | undefined, QueueStrategy>;
  missed_call_away: Generated<boolean>;
  /** Service level: the share of calls answered within this many seconds (1..3600, default 20). */
  service_level_seconds: Generated<number>;
  /** What its callers hear on hold; null: the organisation's Default configuration. */
  hold_configuration_id: string | null;
  created_at: CreatedAt;
}

export interface QueueMemberTable {
  queue_id: string;
  agent_id: string;
  /** Tier: 1 is served first under `priority_then_longest_idle`. */
  priority: Generated<number>;
  /** When this member was last offered a call of this queue (round robin). */
  last_offered_at: Timestamp | null;
}

export interface ContactTable {
  id: Generated<string>;
  organisation_id: string;
  name: string;
  phone_numbers: ColumnType<string[], string[] | undefined, string[]>;
  email: string | null;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  created_at: CreatedAt;
}

export interface ConversationTable {
  id: Generated<string>;
  organisation_id: string;
  customer_identity: string;
  contact_id: string | null;
  status: ColumnType<ConversationStatus, ConversationStatus | undefined, ConversationStatus>;
  notes: Generated<string>;
  rating: number | null;
  agent_id: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface CallLinkTable {
  id: Generated<string>;
  organisation_id: string;
  token_hash: string;
  type: CallLinkType;
  routing: CallLinkRouting;
  queue_id: string | null;
  created_by: string;
  identity: string;
  conversation_id: string | null;
  allow_video: Generated<boolean>;
  valid_from: Timestamp | null;
  valid_until: Timestamp | null;
  used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface CallTable {
  id: Generated<string>;
  organisation_id: string;
  conversation_id: string;
  queue_id: string;
  call_link_id: string | null;
  kind: ColumnType<CallKind, CallKind | undefined, CallKind>;
  media: CallMedia;
  state: ColumnType<CallState, CallState | undefined, CallState>;
  priority: Generated<number>;
  target_agent_id: string | null;
  agent_id: string | null;
  room_id: string;
  queued_at: ColumnType<Date, Date | string | undefined, Date | string>;
  ring_started_at: Timestamp | null;
  answered_at: Timestamp | null;
  ended_at: Timestamp | null;
  end_reason: string | null;
  /** Set while the call's last message plays (maximum wait reached): no longer offered. */
  waiting_ends_at: Timestamp | null;
  /** Bumped with every change of what the customer hears; the SFU ignores older requests. */
  playback_version: Generated<number>;
  /** While a blind transfer rings: the agent who transferred (the call returns to them if it fails) and the queue it came from. */
  transfer_from_agent_id: string | null;
  transfer_from_queue_id: string | null;
}

export interface CallOfferTable {
  id: BigId;
  call_id: string;
  agent_id: string;
  offered_at: Timestamp;
  outcome: 'answered' | 'declined' | 'timed_out' | 'cancelled' | null;
  outcome_at: Timestamp | null;
}

export interface CallEventTable {
  id: BigId;
  organisation_id: string;
  conversation_id: string;
  call_id: string | null;
  type: string;
  actor_type: ActorType;
  actor_id: string | null;
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
  at: ColumnType<Date, Date | string | undefined, never>;
}

export interface WrapUpTable {
  call_id: string;
  agent_id: string;
  started_at: Timestamp;
  ends_at: Timestamp;
  ended_at: Timestamp | null;
}

/** `reconnect_grace`: a customer out of touch this long has left (one per call, pushed forward while they are connected). */
/** `max_wait`: the call waited its queue's maximum, the last message starts; `waiting_end`: it has played, the call ends as timed_out. */
export const TIMER_KINDS = ['ring_timeout', 'wrap_up_end', 'reconnect_grace', 'max_wait', 'waiting_end'] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

export interface TimerTable {
  id: BigId;
  organisation_id: string;
  kind: TimerKind;
  subject_id: string;
  agent_id: string | null;
  due_at: Timestamp;
  created_at: CreatedAt;
}

/** Ogg Opus audio of prompts, by the SHA-256 of the file. */
export interface PromptAudioTable {
  hash: string;
  ogg: Buffer;
  duration_ms: number;
  created_at: CreatedAt;
}

/** Synthesised speech by a hash of its inputs, so the same sentence is synthesised once. */
export interface SpeechCacheTable {
  key: string;
  audio_hash: string;
  created_at: CreatedAt;
}

export type PromptSource = 'speech' | 'file';

export interface PromptTable {
  id: Generated<string>;
  organisation_id: string;
  name: string;
  source: PromptSource;
  /** Speech prompts: what is said, in which language, voice and rate (words per minute). */
  text: string | null;
  language: string | null;
  voice: string | null;
  speech_rate: number | null;
  /** File prompts: the uploaded file's name. */
  file_name: string | null;
  audio_hash: string;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** A word the organisation wants said differently (applied before synthesis). */
export interface PronunciationTable {
  organisation_id: string;
  word: string;
  spoken_as: string;
}

export interface WaitingStrategyTable {
  queue_id: string;
  greeting_enabled: Generated<boolean>;
  greeting_prompt_id: string | null;
  music_enabled: Generated<boolean>;
  /** Null: the built-in music. */
  music_prompt_id: string | null;
  announcement_enabled: Generated<boolean>;
  announcement_prompt_id: string | null;
  announcement_every_seconds: Generated<number>;
  /** The announcement also says the caller's position in the queue / the estimated wait. */
  announce_position: Generated<boolean>;
  announce_estimated_wait: Generated<boolean>;
  /** How long the away message waits for a response code before the call ends. */
  digit_wait_seconds: Generated<number>;
  max_wait_enabled: Generated<boolean>;
  max_wait_seconds: Generated<number>;
  last_message_prompt_id: string | null;
  /** Said before the voicemail tone; null: the tone alone. */
  voicemail_prompt_id: string | null;
  /** The longest voicemail after the tone, in seconds (10..600, default 120). */
  voicemail_max_seconds: Generated<number>;
}

/** What a caller hears on hold (SPEC §5). */
export interface HoldConfigurationTable {
  id: Generated<string>;
  organisation_id: string;
  name: string;
  is_default: Generated<boolean>;
  /** Null: the built-in music. */
  music_prompt_id: string | null;
  announcement_enabled: Generated<boolean>;
  announcement_prompt_id: string | null;
  announcement_every_seconds: Generated<number>;
}

/** One opening interval of a day, local time ('HH:MM', `to` may be '24:00'). */
export interface OpeningInterval {
  from: string;
  to: string;
}

/** A queue's working hours (SPEC §9); the JSON columns are validated by the routing service. */
export interface WorkingHoursTable {
  queue_id: string;
  enabled: Generated<boolean>;
  /** IANA time zone the intervals are in. */
  time_zone: Generated<string>;
  weekly: ColumnType<(OpeningInterval & { day: number })[], string | undefined, string>;
  exceptions: ColumnType<{ date: string; closed: boolean; intervals: OpeningInterval[] }[], string | undefined, string>;
  away_message_prompt_id: string | null;
}

export type ResponseCodeContext = 'announcement' | 'away';
export type ResponseCodeAction = ResponseCodeActionName;

/** A digit the customer may press while the queue's announcement or away message plays (SPEC §8). */
export interface ResponseCodeTable {
  queue_id: string;
  context: ResponseCodeContext;
  digit: string;
  action: ResponseCodeAction;
}

/** A customer's request to be called back (SPEC §10). */
export interface CallbackRequestTable {
  id: Generated<string>;
  organisation_id: string;
  queue_id: string | null;
  conversation_id: string;
  call_id: string | null;
  customer_identity: string;
  status: ColumnType<CallbackStatus, CallbackStatus | undefined, CallbackStatus>;
  created_at: CreatedAt;
  /** The voicemail the caller left with the request (its recording session), if any. */
  voicemail_session_id: string | null;
}

/** Owned by @socket.io/postgres-adapter: events too big for NOTIFY. */
export interface SocketIoAttachmentsTable {
  id: BigId;
  created_at: CreatedAt;
  payload: Buffer | null;
}

/** An organisation's recording configuration (SPEC §13); no row means recording is off. */
export interface RecordingConfigurationTable {
  organisation_id: string;
  enabled: Generated<boolean>;
  directions: Generated<RecordingDirections>;
  video_mode: Generated<RecordingVideoMode>;
  composition: Generated<RecordingComposition>;
  storage: Generated<RecordingStorage>;
  updated_at: Generated<Date>;
  /** S3 settings (`S3Settings`, secret included): never sent to a browser as they are. */
  storage_s3: ColumnType<S3Settings | null, S3Settings | null | undefined, S3Settings | null>;
  /** SFTP settings (`SftpSettings`, password and key included): never sent to a browser as they are. */
  storage_sftp: ColumnType<SftpSettings | null, SftpSettings | null | undefined, SftpSettings | null>;
  /** Recordings (and deletion audit records) older than this many days are deleted. Default 90. */
  retention_days: Generated<number>;
}

/** The configuration as it was when the call started: what the call is recorded with. */
export interface CallRecordingSettingsTable {
  call_id: string;
  organisation_id: string;
  record: boolean;
  video_mode: RecordingVideoMode;
  composition: RecordingComposition;
  storage: RecordingStorage;
  frozen_at: Timestamp;
  direction: Generated<'inbound' | 'outbound'>;
}

/** `call`: an agent segment of a call; `voicemail`: a caller's message, recorded without an agent. */
export type RecordingKind = 'call' | 'voicemail';

/** One agent segment (or a voicemail) being (or having been) recorded; its id is the composer's and the SFU tap's recording id. */
export interface RecordingSessionTable {
  id: string;
  organisation_id: string;
  call_id: string;
  agent_id: string | null;
  state: 'recording' | 'stopped';
  started_at: Timestamp;
  stopped_at: Timestamp | null;
  kind: ColumnType<RecordingKind, RecordingKind | undefined, RecordingKind>;
}

/** One recording file: a leg (mono) or the merged stereo file. */
export interface RecordingTable {
  id: Generated<string>;
  organisation_id: string;
  session_id: string;
  call_id: string;
  conversation_id: string;
  agent_id: string | null;
  leg: RecordingFileLeg;
  channel_layout: RecordingChannelLayout;
  /** `ogg` (Opus) or `webm` (VP8 + Opus): what the file is served as. */
  container: ColumnType<RecordingContainer, RecordingContainer | undefined, RecordingContainer>;
  status: RecordingStatus;
  storage: RecordingStorage;
  file_name: string | null;
  started_at: Timestamp | null;
  ended_at: Timestamp | null;
  duration_ms: number | null;
  /** bigint: pg returns it as a string. */
  bytes: ColumnType<string | null, number | null, number | null>;
  error: string | null;
  created_at: CreatedAt;
  /** Set when the file is spooled: what its `.json` / `.csv` say. */
  metadata: ColumnType<RecordingMetadata | null, RecordingMetadata | null | undefined, RecordingMetadata | null>;
  kind: ColumnType<RecordingKind, RecordingKind | undefined, RecordingKind>;
}

/** A file to upload from a composer's spool to its storage (SPEC §13), retried until it is stored. */
export interface RecordingUploadTable {
  id: Generated<string>;
  organisation_id: string;
  session_id: string;
  leg: RecordingFileLeg;
  storage: RecordingStorage;
  file_name: string;
  node: string;
  spool_path: string;
  metadata: RecordingMetadata;
  /** `lost`: the spooled file is gone (the disk was wiped): nothing left to upload. */
  state: ColumnType<RecordingUploadState, RecordingUploadState | undefined, RecordingUploadState>;
  attempts: Generated<number>;
  run_at: Timestamp;
  locked_until: Timestamp | null;
  last_error: string | null;
  created_at: CreatedAt;
  done_at: Timestamp | null;
}

export type RecordingUploadState = 'pending' | 'done' | 'lost';

/** Who deleted which recording file, and when (SPEC §13); kept until `expires_at`. */
export interface RecordingDeletionTable {
  id: Generated<string>;
  organisation_id: string;
  recording_id: string;
  file_name: string | null;
  conversation_id: string;
  call_id: string;
  deleted_by: string | null;
  deleted_by_name: string | null;
  reason: 'supervisor' | 'retention';
  deleted_at: Timestamp;
  expires_at: Timestamp;
}

export interface Database {
  organisation: OrganisationTable;
  user_account: UserAccountTable;
  user_session: UserSessionTable;
  agent: AgentTable;
  agent_status_event: AgentStatusEventTable;
  queue: QueueTable;
  queue_member: QueueMemberTable;
  contact: ContactTable;
  conversation: ConversationTable;
  call_link: CallLinkTable;
  call: CallTable;
  call_offer: CallOfferTable;
  call_event: CallEventTable;
  wrap_up: WrapUpTable;
  timer: TimerTable;
  prompt_audio: PromptAudioTable;
  speech_cache: SpeechCacheTable;
  prompt: PromptTable;
  pronunciation: PronunciationTable;
  waiting_strategy: WaitingStrategyTable;
  hold_configuration: HoldConfigurationTable;
  working_hours: WorkingHoursTable;
  response_code: ResponseCodeTable;
  callback_request: CallbackRequestTable;
  socket_io_attachments: SocketIoAttachmentsTable;
  recording_configuration: RecordingConfigurationTable;
  call_recording_settings: CallRecordingSettingsTable;
  recording_session: RecordingSessionTable;
  recording: RecordingTable;
  recording_upload: RecordingUploadTable;
  recording_deletion: RecordingDeletionTable;
}

export type Organisation = Selectable<OrganisationTable>;
export type UserAccount = Selectable<UserAccountTable>;
export type NewUserAccount = Insertable<UserAccountTable>;
export type Agent = Selectable<AgentTable>;
export type AgentUpdate = Updateable<AgentTable>;
export type Queue = Selectable<QueueTable>;
export type Contact = Selectable<ContactTable>;
export type Conversation = Selectable<ConversationTable>;
export type CallLink = Selectable<CallLinkTable>;
export type NewCallLink = Insertable<CallLinkTable>;
export type Call = Selectable<CallTable>;
export type NewCall = Insertable<CallTable>;
export type CallUpdate = Updateable<CallTable>;
export type CallEvent = Selectable<CallEventTable>;
export type WrapUp = Selectable<WrapUpTable>;
export type Timer = Selectable<TimerTable>;
export type Prompt = Selectable<PromptTable>;
export type WaitingStrategy = Selectable<WaitingStrategyTable>;
export type HoldConfiguration = Selectable<HoldConfigurationTable>;
export type WorkingHours = Selectable<WorkingHoursTable>;
export type RecordingConfiguration = Selectable<RecordingConfigurationTable>;
export type Recording = Selectable<RecordingTable>;
export type RecordingUpload = Selectable<RecordingUploadTable>;
