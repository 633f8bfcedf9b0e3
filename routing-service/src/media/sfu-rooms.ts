import { signJoinToken } from '@cc/contracts/join-token';
import { SfuControlClient } from '@cc/sfu/control-client';
import type { MediaRooms } from '../acd/media.ts';

/** Media rooms on the mediasoup SFU, through its control API; join tokens signed here. */
export function sfuRooms(controlUrl: string, controlSecret: string, mediaSecret: string): MediaRooms {
  const client = new SfuControlClient(controlUrl, controlSecret);
  return {
    async join(roomId, claims) {
      const { signalUrl } = await client.createRoom(roomId);
      return { url: signalUrl, roomId, token: await signJoinToken({ ...claims, room: roomId }, mediaSecret) };
    },
    async close(roomId, reason) {
      await client.closeRoom(roomId, reason);
    },
  };
}
