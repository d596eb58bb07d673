/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `vite` (dev) proxies the API to a running stack: PYAT_API (default the e2e stack's port file
// is not read here; set PYAT_API=http://127.0.0.1:PORT).
const api = process.env.PYAT_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    manifest: true,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    proxy: { '/api': api, '/mcp': api, '/v0': api },
  },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
  },
});
