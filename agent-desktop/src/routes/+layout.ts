// A single-page app served by the routing service at the same origin.
export const ssr = false;
export const prerender = false;
