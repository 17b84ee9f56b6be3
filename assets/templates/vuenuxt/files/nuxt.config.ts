// https://nuxt.com/docs/api/configuration/nuxt-config
export default defineNuxtConfig({
  compatibilityDate: "2025-07-15",
  modules: ["@nuxt/test-utils/module"],
  css: ["~/assets/css/main.css"],
  devServer: {
    port: {{ ports.web }},
  },
  devtools: { enabled: true },
  typescript: {
    strict: true,
  },
  runtimeConfig: {
    // Server-only settings, overridden by NUXT_* environment variables.
    appEnv: "development",
    public: {
      // Sent to the browser; overridden by NUXT_PUBLIC_APP_URL.
      appUrl: {{ ("http://localhost:" ~ ports.web) | tojson }},
    },
  },
});
