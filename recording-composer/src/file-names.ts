/** Recording file names (SPEC §13): `<conversationId>_<agentName>_<endUser>_<YYYYMMDDHHMMSS>`, UTC; and the files' metadata tags. */
import type { ComposerStart, RecordedFile, RecordingLegRole } from '@cc/contracts';

/** Keeps letters (any script), digits, `.`, `-` and `+`; everything else becomes `-`. */
export function safePart(value: string, max = 60): string {
  const cleaned = value
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}.+-]+/gu, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, max);
  return cleaned === '' ? 'unknown' : cleaned;
}

export function utcStamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export function recordingBaseName(p: { conversationId: string; agentName: string; endUser: string; startedAt: Date }): string {
  return [safePart(p.conversationId, 64), safePart(p.agentName), safePart(p.endUser), utcStamp(p.startedAt)].join('_');
}

const LEG_TAGS: Record<RecordingLegRole, string> = { agent: 'agent', customer: 'customer' };

/** The metadata tags of one of a recording's files. */
export function recordingTags(r: ComposerStart, leg: RecordedFile['leg']): Record<string, string> {
  return {
    TITLE: `${r.agentName} / ${r.endUser}`,
    CONVERSATION_ID: r.conversationId,
    CALL_ID: r.callId,
    AGENT: r.agentName,
    END_USER: r.endUser,
    LEG: leg,
    CHANNEL_LAYOUT: leg === 'merged' || leg === 'composite' ? 'left=agent right=customer' : `mono=${LEG_TAGS[leg]}`,
    TRANSCODED: leg === 'composite' ? 'yes' : 'no',
  };
}
