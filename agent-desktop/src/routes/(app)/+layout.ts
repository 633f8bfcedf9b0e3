import type { SessionUser } from '@cc/contracts';
import { redirect } from '@sveltejs/kit';
import { api, ApiError } from '$lib/api/http';
import type { LayoutLoad } from './$types';

/** Every page of this group needs a session: no session means the login page. */
export const load: LayoutLoad = async ({ fetch }) => {
  try {
    const user = await api<SessionUser>('GET', '/me', undefined, fetch);
    return { user };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) redirect(307, '/login');
    throw error;
  }
};
