import { error } from '@sveltejs/kit';
import { ApiError } from '$lib/api/http';
import { fetchPublicLink } from '$lib/state/customer-call.svelte';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params, fetch }) => {
  try {
    return { token: params.token, link: await fetchPublicLink(params.token, fetch) };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      return { token: params.token, link: { usable: false as const, problem: 'link_not_found' as const, organisationName: null } };
    }
    error(503, { message: 'The call service cannot be reached right now. Please try again in a moment.' });
  }
};
