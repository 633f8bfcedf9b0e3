/** Recording file names (SPEC §13): `<conversationId>_<agentName>_<endUser>_<YYYYMMDDHHMMSS>`, UTC. */

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
