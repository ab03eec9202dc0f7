/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";

// The built UI is packaged with the server: src/tracklog/server/static/ (git-ignored).
// base "./" keeps every asset URL relative, so the bundle works under any --static-prefix.
const outDir = fileURLToPath(new URL("../src/tracklog/server/static", import.meta.url));
// `npm run dev` proxies API calls to a running `tracklog server` (TRACKLOG_DEV_API, default :5000).
const api = process.env.TRACKLOG_DEV_API ?? "http://127.0.0.1:5000";

export default defineConfig({
  base: "./",
  plugins: [react()],
  build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: { proxy: { "/ajax-api": api, "/get-artifact": api, "/api": api } },
  // Pure-logic tests run in node; files that need a DOM start with `// @vitest-environment jsdom`.
  test: { environment: "node", include: ["src/**/*.test.ts", "src/**/*.test.tsx"], maxWorkers: 2 },
});
