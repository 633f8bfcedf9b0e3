import type { PlaybackProgramInput } from '@cc/contracts';
import { signJoinToken } from '@cc/contracts/join-token';
import { SfuControlClient, SfuControlError } from '@cc/sfu/control-client';
import type { MediaRooms } from '../acd/media.ts';

/**
 * Media rooms on the mediasoup SFU, through its control API; join tokens signed here. Prompt
 * audio is uploaded to the SFU before a program names it: once per SFU, remembered here, and
 * again after the SFU answers `prompt_missing` (it restarted and lost its library).
 */
export function sfuRooms(
  controlUrl: string,
  controlSecret: string,
  mediaSecret: string,
  loadAudio: (hash: string) => Promise<Buffer>,
): MediaRooms {
  const client = new SfuControlClient(controlUrl, controlSecret);
  const uploaded = new Set<string>();

  async function upload(program: PlaybackProgramInput): Promise<void> {
    const hashes = new Set([...(program.intro ?? []), ...(program.loop ? [program.loop] : []), ...(program.interrupt?.prompts ?? [])]);
    for (const hash of hashes) {
      if (uploaded.has(hash)) continue;
      if (!(await client.hasPrompt(hash))) await client.uploadPrompt(hash, await loadAudio(hash));
      uploaded.add(hash);
    }
  }

  return {
    async join(roomId, claims) {
      const { signalUrl } = await client.createRoom(roomId);
      return { url: signalUrl, roomId, token: await signJoinToken({ ...claims, room: roomId }, mediaSecret) };
    },
    async close(roomId, reason) {
      await client.closeRoom(roomId, reason);
    },
    async play(roomId, peerId, program) {
      await upload(program);
      try {
        return await client.play(roomId, peerId, program);
      } catch (error) {
        if (!(error instanceof SfuControlError) || error.code !== 'prompt_missing') throw error;
        uploaded.clear();
        await upload(program);
        return client.play(roomId, peerId, program);
      }
    },
    async stopPlayback(roomId, peerId, version) {
      await client.stopPlayback(roomId, peerId, version);
    },
    async setIsolated(roomId, peerId, isolated, version) {
      await client.setIsolated(roomId, peerId, isolated, version);
    },
  };
}
