import { defineConfig } from "vitest/config";

export default defineConfig({
  server: {
    port: {{ ports.frontend }},
    strictPort: true,
  },
  preview: {
    port: {{ ports.frontend }},
  },
  build: {
    target: "es2022",
    sourcemap: true,
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.ts"],
  },
});
