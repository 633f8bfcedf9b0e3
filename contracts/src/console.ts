/** The supervisor console's queue and agent configuration (SPEC §2, §3, §14): bodies and views of `/api/console`. */
import { z } from 'zod';
import { AGENT_STATUSES, CAPACITY_RANGE, QUEUE_STRATEGIES, USER_ROLES, WRAP_UP_RANGE } from './domain.ts';
import { AGENT_RECORDING_OVERRIDES } from './recording.ts';

/** Tier of a queue member: 1 is served first under `priority_then_longest_idle`. */
export const TIER_RANGE = { min: 1, max: 10, default: 1 } as const;
/** Service level threshold of a queue: answered within this many seconds. */
export const SERVICE_LEVEL_RANGE = { min: 1, max: 3600, default: 20 } as const;
export const QUEUE_NAME_MAX = 80;
/** Members one request may set: far above any real queue, low enough to bound the work. */
export const QUEUE_MEMBERS_MAX = 500;

const NAME_MESSAGE = `A queue name must be 1 to ${QUEUE_NAME_MAX} characters long.`;
const STRATEGY_MESSAGE = 'Choose a strategy: longest idle, least occupied, round robin, ring all, or tiers then longest idle.';
const SERVICE_LEVEL_MESSAGE = `Service level must be a whole number of seconds from ${SERVICE_LEVEL_RANGE.min} to ${SERVICE_LEVEL_RANGE.max}.`;
const TIER_MESSAGE = `A tier must be a whole number from ${TIER_RANGE.min} to ${TIER_RANGE.max}.`;
const CAPACITY_MESSAGE = `Capacity must be a whole number from ${CAPACITY_RANGE.min} to ${CAPACITY_RANGE.max}.`;
const WRAP_UP_OVERRIDE_MESSAGE = `A wrap-up override must be a whole number of seconds from ${WRAP_UP_RANGE.min} to ${WRAP_UP_RANGE.max}, or empty for the organisation default.`;

const queueName = z.string({ error: NAME_MESSAGE }).trim().min(1, NAME_MESSAGE).max(QUEUE_NAME_MAX, NAME_MESSAGE);
const strategy = z.enum(QUEUE_STRATEGIES, { error: STRATEGY_MESSAGE });
const serviceLevelSeconds = z
  .number({ error: SERVICE_LEVEL_MESSAGE })
  .int(SERVICE_LEVEL_MESSAGE)
  .min(SERVICE_LEVEL_RANGE.min, SERVICE_LEVEL_MESSAGE)
  .max(SERVICE_LEVEL_RANGE.max, SERVICE_LEVEL_MESSAGE);
const flag = (what: string) => z.boolean({ error: `${what} must be on or off.` });

/** A queue's hold configuration; null: the organisation's Default. */
const holdConfigurationId = z.uuid({ error: 'Choose a hold configuration from the list.' }).nullable();

export const queueCreateSchema = z.strictObject({
  name: queueName,
  holdConfigurationId: holdConfigurationId.default(null),
  strategy: strategy.default('longest_idle'),
  aaaEnabled: flag('Automatic agent assignment').default(false),
  missedCallAway: flag('Missed call sets agent away').default(true),
  serviceLevelSeconds: serviceLevelSeconds.default(SERVICE_LEVEL_RANGE.default),
});
export type QueueCreateRequest = z.input<typeof queueCreateSchema>;

export const queueUpdateSchema = z.strictObject({
  name: queueName.optional(),
  holdConfigurationId: holdConfigurationId.optional(),
  strategy: strategy.optional(),
  aaaEnabled: flag('Automatic agent assignment').optional(),
  missedCallAway: flag('Missed call sets agent away').optional(),
  serviceLevelSeconds: serviceLevelSeconds.optional(),
});
export type QueueUpdateRequest = z.infer<typeof queueUpdateSchema>;

export const queueMemberSchema = z.object({
  agentId: z.uuid({ error: 'Each member needs a valid agent id.' }),
  priority: z.number({ error: TIER_MESSAGE }).int(TIER_MESSAGE).min(TIER_RANGE.min, TIER_MESSAGE).max(TIER_RANGE.max, TIER_MESSAGE),
});

/** The whole member set of a queue: what is not listed stops being a member. */
export const queueMembersSetSchema = z
  .array(queueMemberSchema, { error: 'Send the members as a list.' })
  .max(QUEUE_MEMBERS_MAX, `A queue can have at most ${QUEUE_MEMBERS_MAX} members.`)
  .superRefine((members, ctx) => {
    const seen = new Set<string>();
    for (const member of members) {
      if (seen.has(member.agentId)) {
        ctx.addIssue({ code: 'custom', message: 'An agent is listed twice; list each member once.' });
        return;
      }
      seen.add(member.agentId);
    }
  });
export type QueueMembersSetRequest = z.infer<typeof queueMembersSetSchema>;

export const queueMemberViewSchema = z.object({
  agentId: z.uuid(),
  name: z.string(),
  email: z.string(),
  priority: z.number().int(),
  capacity: z.number().int(),
});
export type QueueMemberView = z.infer<typeof queueMemberViewSchema>;

export const queueDetailSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  isDefault: z.boolean(),
  aaaEnabled: z.boolean(),
  strategy: z.enum(QUEUE_STRATEGIES),
  missedCallAway: z.boolean(),
  serviceLevelSeconds: z.number().int(),
  holdConfigurationId: z.uuid().nullable(),
  members: z.array(queueMemberViewSchema),
});
export type QueueDetail = z.infer<typeof queueDetailSchema>;

export const consoleAgentSchema = z.object({
  agentId: z.uuid(),
  name: z.string(),
  email: z.string(),
  role: z.enum(USER_ROLES),
  status: z.enum(AGENT_STATUSES),
  capacity: z.number().int(),
  /** Wrap-up time of this agent; null means the organisation's default. */
  wrapUpSeconds: z.number().int().nullable(),
  /** Recording override of this agent's calls; null means the organisation's setting. */
  recordingOverride: z.enum(AGENT_RECORDING_OVERRIDES).nullable(),
});
export type ConsoleAgent = z.infer<typeof consoleAgentSchema>;

export const agentUpdateSchema = z.strictObject({
  capacity: z
    .number({ error: CAPACITY_MESSAGE })
    .int(CAPACITY_MESSAGE)
    .min(CAPACITY_RANGE.min, CAPACITY_MESSAGE)
    .max(CAPACITY_RANGE.max, CAPACITY_MESSAGE)
    .optional(),
  wrapUpSeconds: z
    .number({ error: WRAP_UP_OVERRIDE_MESSAGE })
    .int(WRAP_UP_OVERRIDE_MESSAGE)
    .min(WRAP_UP_RANGE.min, WRAP_UP_OVERRIDE_MESSAGE)
    .max(WRAP_UP_RANGE.max, WRAP_UP_OVERRIDE_MESSAGE)
    .nullable()
    .optional(),
  recordingOverride: z
    .enum(AGENT_RECORDING_OVERRIDES, { error: 'Choose how this agent’s calls are recorded from the list.' })
    .nullable()
    .optional(),
});
export type AgentUpdateRequest = z.infer<typeof agentUpdateSchema>;
