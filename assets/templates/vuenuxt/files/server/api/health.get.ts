// GET /api/health: liveness check for load balancers and the container's health check.
export default defineEventHandler(() => healthStatus());
