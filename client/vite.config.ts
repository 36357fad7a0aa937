import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// `npm run dev` serves the front end with hot reload and forwards API and dev-proxy calls to
// `app-server dev`, which listens on 127.0.0.1:8000 unless APP_SERVER_URL says otherwise.
const appServer = process.env.APP_SERVER_URL ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': appServer,
      '/__dev': appServer,
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
  },
});
