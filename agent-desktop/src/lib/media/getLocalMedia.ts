/** The local microphone (and camera) for a call, with errors a person can act on. */

export class MediaPermissionError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('Permission to use camera and/or microphone was denied.', options);
    this.name = 'MediaPermissionError';
  }
}

/** No matching device, or the device is in use by another application. */
export class MediaDeviceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MediaDeviceError';
  }
}

/** Constraints for a call: echo cancellation on (no headset assumed), a modest camera. */
const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
const VIDEO: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };

/** getUserMedia for audio, or audio+video; maps NotAllowedError/SecurityError to MediaPermissionError. */
export async function getLocalMedia(kind: 'audio' | 'video'): Promise<MediaStream> {
  if (typeof navigator === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
    // Browsers only expose mediaDevices on secure origins (https or localhost).
    throw new MediaDeviceError('This browser cannot use a camera or microphone here (a secure https connection is required).');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: AUDIO, video: kind === 'video' ? VIDEO : false });
  } catch (error) {
    throw mapMediaError(error, kind);
  }
}

function mapMediaError(error: unknown, kind: 'audio' | 'video'): Error {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  const devices = kind === 'video' ? 'camera or microphone' : 'microphone';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return new MediaPermissionError({ cause: error });
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return new MediaDeviceError(`No ${devices} was found. Connect one and try again.`, { cause: error });
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return new MediaDeviceError(`The ${devices} is in use by another application or could not be started.`, { cause: error });
    default:
      return new MediaDeviceError(`The ${devices} could not be used.`, { cause: error });
  }
}
