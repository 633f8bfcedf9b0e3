/**
 * The media of one call as a page shows it: the SFU session, the local camera/microphone,
 * mute and camera state. The agent desktop and the customer's call page each hold one.
 */
import type { MediaSession } from '$lib/media';

export function stopTracks(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

export class CallMediaState {
  #session = $state.raw<MediaSession | null>(null);
  #local = $state.raw<MediaStream | null>(null);
  /** Changes whenever the remote stream's tracks change, so media elements re-attach. */
  #remoteVersion = $state(0);
  #muted = $state(false);
  #cameraOff = $state(false);

  /** Whether a session is open (media flows or is about to). */
  get open(): boolean {
    return this.#session !== null;
  }
  get remoteStream(): MediaStream | null {
    return this.#session?.remoteStream ?? null;
  }
  get remoteVersion(): number {
    return this.#remoteVersion;
  }
  get localStream(): MediaStream | null {
    return this.#local;
  }
  get muted(): boolean {
    return this.#muted;
  }
  get cameraOff(): boolean {
    return this.#cameraOff;
  }

  /** Shows the local camera/microphone before a session exists (the customer waiting). */
  preview(local: MediaStream): void {
    this.close();
    this.#local = local;
    this.#muted = false;
    this.#cameraOff = false;
  }

  /** Takes an opened session and its local stream; both are let go when the room closes. */
  attach(session: MediaSession, local: MediaStream): void {
    const previous = this.#session;
    this.#session = null;
    previous?.close();
    if (this.#local !== local) stopTracks(this.#local);
    this.#session = session;
    this.#local = local;
    this.#muted = false;
    this.#cameraOff = false;
    session.onRemoteTracksChanged(() => {
      this.#remoteVersion += 1;
    });
    session.onClosed(() => {
      if (this.#session !== session) return;
      this.#session = null;
      stopTracks(this.#local);
      this.#local = null;
    });
  }

  toggleMute(): void {
    const muted = !this.#muted;
    void Promise.resolve(this.#session?.setMicrophoneMuted(muted)).catch(() => undefined);
    this.#muted = muted;
  }

  toggleCamera(): void {
    const off = !this.#cameraOff;
    void Promise.resolve(this.#session?.setCameraEnabled(!off)).catch(() => undefined);
    this.#cameraOff = off;
  }

  /** Closes the session and stops the local tracks; safe twice. */
  close(): void {
    const session = this.#session;
    this.#session = null;
    session?.close();
    stopTracks(this.#local);
    this.#local = null;
  }
}
