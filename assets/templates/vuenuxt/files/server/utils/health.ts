/** The version /api/health reports. */
export const APP_VERSION = "0.1.0";

export interface Health {
  status: "ok";
  version: string;
}

/** What the health check answers while the server can serve requests. */
export function healthStatus(): Health {
  return { status: "ok", version: APP_VERSION };
}
