/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const coreSrc = fileURLToPath(new URL("../../packages/core/src/index.ts", import.meta.url));
const backend = process.env.NEPI_BACKEND ?? "http://127.0.0.1:7070";

export default defineConfig({
  plugins: [react()],
  resolve: {
    // Bundle the browser-safe core entry from source: no need to build core first, and the
    // Node-only entry (`@nepi/core/node`) is never reachable from here.
    alias: [{ find: /^@nepi\/core$/, replacement: coreSrc }],
  },
  server: {
    host: "127.0.0.1",
    // The API lives on the backend; the dev server forwards HTTP and WebSocket traffic to it.
    proxy: {
      "/trpc": { target: backend, ws: true, changeOrigin: false },
      "/terminal": { target: backend, ws: true, changeOrigin: false },
    },
  },
  preview: { host: "127.0.0.1", proxy: { "/trpc": { target: backend, ws: true }, "/terminal": { target: backend, ws: true } } },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  test: { environment: "node", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});
