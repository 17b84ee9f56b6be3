/** The backend's base URL: VITE_API_URL at build time, else the local backend. */
export const API_URL: string = import.meta.env.VITE_API_URL ?? "http://localhost:{{ ports.backend }}";

/** An HTTP error from the backend, with FastAPI's `detail` when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Sends a JSON request to the backend and returns the decoded JSON answer. */
export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set("Accept", "application/json");
  if (init.body !== undefined && !headers.has("Content-Type")) {
    headers.set("Content-Type", "application/json");
  }
  const response = await fetch(`${API_URL}${path}`, { ...init, headers });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body: unknown = await response.json();
      if (body && typeof body === "object" && "detail" in body && typeof body.detail === "string") {
        message = body.detail;
      }
    } catch {
      // The error had no JSON body: keep the status line.
    }
    throw new ApiError(response.status, message);
  }
  return (response.status === 204 ? undefined : await response.json()) as T;
}

export interface Health {
  status: string;
}

export function getHealth(): Promise<Health> {
  return request<Health>("/health");
}
