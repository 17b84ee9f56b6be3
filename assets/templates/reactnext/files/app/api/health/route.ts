import { APP_VERSION } from "@/lib/config";

/** Liveness check for load balancers and the container's health check. */
export function GET(): Response {
  return Response.json({ status: "ok", version: APP_VERSION });
}
