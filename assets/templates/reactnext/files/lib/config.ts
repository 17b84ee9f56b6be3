/** What the app is, as the factory run named it. */
export const APP_NAME: string = {{ name | tojson }};
export const APP_IDEA: string = {{ idea | tojson }};

/** The version reported by /api/health. */
export const APP_VERSION = "0.1.0";

/** Settings read from the environment (see .env.example). Server-side only. */
export function settings() {
  return {
    environment: process.env.APP_ENV ?? "development",
    publicUrl: process.env.NEXT_PUBLIC_APP_URL ?? "http://localhost:{{ ports.web }}",
  };
}
