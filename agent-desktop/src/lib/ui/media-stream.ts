/** Attaches a MediaStream to an `<audio>`/`<video>` element: `{@attach mediaStream(stream, version)}`. */
import type { Attachment } from 'svelte/attachments';

/**
 * `version` is only read so that a change of the stream's tracks re-attaches it: some
 * browsers do not start rendering tracks added to a stream already in `srcObject`.
 */
export function mediaStream(stream: MediaStream | null, version = 0): Attachment<HTMLMediaElement> {
  return (element) => {
    void version;
    element.srcObject = stream;
    if (stream) void element.play().catch(() => undefined);
    return () => {
      element.srcObject = null;
    };
  };
}
