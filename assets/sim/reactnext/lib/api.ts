// The typed client the browser uses to call the app's own JSON API (relative URLs).
import type { Item, ItemInput } from "@/lib/models";

/** An HTTP error from the app's API, with the `error` message it sent when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Calls the app's own JSON API (relative URLs) and returns the decoded answer. */
export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set("Accept", "application/json");
  if (init.body !== undefined && !headers.has("Content-Type")) {
    headers.set("Content-Type", "application/json");
  }
  const response = await fetch(path, { ...init, headers });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`.trim();
    try {
      const body: unknown = await response.json();
      if (body && typeof body === "object" && "error" in body && typeof body.error === "string") {
        message = body.error;
      }
    } catch {
      // No JSON body: keep the status line.
    }
    throw new ApiError(response.status, message);
  }
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** A readable message for any error a call may throw (network failures included). */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    return error.message;
  }
  return error instanceof Error ? `The server could not be reached (${error.message})` : "Something went wrong";
}

export interface Health {
  status: string;
  version: string;
}

export function getHealth(): Promise<Health> {
  return request<Health>("/api/health");
}

function itemPath(id: string): string {
  return `/api/items/${encodeURIComponent(id)}`;
}

export function listItems(): Promise<Item[]> {
  return request<Item[]>("/api/items");
}

export function getItem(id: string): Promise<Item> {
  return request<Item>(itemPath(id));
}

export function createItem(input: ItemInput): Promise<Item> {
  return request<Item>("/api/items", { method: "POST", body: JSON.stringify(input) });
}

export function updateItem(id: string, input: ItemInput): Promise<Item> {
  return request<Item>(itemPath(id), { method: "PUT", body: JSON.stringify(input) });
}

export function deleteItem(id: string): Promise<void> {
  return request<void>(itemPath(id), { method: "DELETE" });
}
