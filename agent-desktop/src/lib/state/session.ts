/** Logging in and out of the routing service (an HttpOnly session cookie). */
import type { LoginRequest, SessionUser } from '@cc/contracts';
import { api } from '$lib/api/http';

export function logIn(credentials: LoginRequest): Promise<SessionUser> {
  return api<SessionUser>('POST', '/auth/login', credentials);
}

export async function logOut(): Promise<void> {
  await api<unknown>('POST', '/auth/logout').catch(() => undefined);
}

/** Supervisors and admins can change organisation settings. */
export function canEditSettings(user: SessionUser): boolean {
  return user.role === 'supervisor' || user.role === 'admin';
}
