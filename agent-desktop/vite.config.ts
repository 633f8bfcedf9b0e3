import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

const routingService = 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [sveltekit()],
  // @cc/contracts exports TypeScript source; bundle it rather than treat it as a prebuilt dependency.
  ssr: { noExternal: ['@cc/contracts'] },
  optimizeDeps: { exclude: ['@cc/contracts'] },
  server: {
    proxy: {
      '/api': { target: routingService, changeOrigin: false },
      '/socket.io': { target: routingService, ws: true, changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/api': { target: routingService, changeOrigin: false },
      '/socket.io': { target: routingService, ws: true, changeOrigin: false },
    },
  },
});
