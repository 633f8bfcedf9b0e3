/** Browser media for a call: local devices and the session with the SFU (mediasoup-client). */
export { getLocalMedia, MediaDeviceError, MediaPermissionError } from './getLocalMedia';
export { CONNECTION_LOST, MediaClosedError, MediaSession } from './MediaSession';
