// The typed client of the backend: every call to the API goes through here.

/** The backend's base URL: VITE_API_URL at build time, else the local backend. */
export const API_URL: string = (import.meta.env.VITE_API_URL ?? "http://localhost:8000").replace(/\/+$/, "");

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

let authToken: string | null = null;

/** Sets the bearer token sent with every request (null to send none); see session.ts. */
export function setAuthToken(token: string | null): void {
  authToken = token;
}

/** FastAPI's `detail`: a message, or a list of validation errors (422). */
function detailMessage(body: unknown): string | null {
  if (!body || typeof body !== "object" || !("detail" in body)) {
    return null;
  }
  const { detail } = body;
  if (typeof detail === "string") {
    return detail;
  }
  if (Array.isArray(detail) && detail.length > 0) {
    const first: unknown = detail[0];
    if (first && typeof first === "object" && "msg" in first && typeof first.msg === "string") {
      const loc = "loc" in first && Array.isArray(first.loc) ? first.loc : [];
      const field = loc.length > 1 ? String(loc[loc.length - 1]) : "";
      return field ? `${field}: ${first.msg}` : first.msg;
    }
  }
  return null;
}

/** Sends a request to the backend (JSON unless the body says otherwise) and returns the decoded JSON answer. */
export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set("Accept", "application/json");
  if (typeof init.body === "string" && !headers.has("Content-Type")) {
    headers.set("Content-Type", "application/json");
  }
  if (authToken && !headers.has("Authorization")) {
    headers.set("Authorization", `Bearer ${authToken}`);
  }
  const response = await fetch(`${API_URL}${path}`, { ...init, headers });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`.trim();
    try {
      message = detailMessage(await response.json()) ?? message;
    } catch {
      // The error had no JSON body: keep the status line.
    }
    throw new ApiError(response.status, message);
  }
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** A readable message for anything a call may throw, network failures included. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    return error.message;
  }
  return "The server could not be reached. Check your connection and try again.";
}

export interface Health {
  status: string;
}

export function getHealth(): Promise<Health> {
  return request<Health>("/health");
}

// --- authentication (/api/auth) ---

export interface User {
  id: number;
  email: string;
  full_name: string | null;
  created_at: string;
}

export interface Token {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export function signUp(email: string, password: string, fullName?: string): Promise<User> {
  const body = { email, password, full_name: fullName?.trim() || null };
  return request<User>("/api/auth/signup", { method: "POST", body: JSON.stringify(body) });
}

export function logIn(email: string, password: string): Promise<Token> {
  return request<Token>("/api/auth/login", { method: "POST", body: JSON.stringify({ email, password }) });
}

export function getMe(): Promise<User> {
  return request<User>("/api/auth/me");
}

// --- items (/api/items) ---

export interface Item {
  id: number;
  title: string;
  description: string;
  done: boolean;
  owner_id: number;
  created_at: string;
  updated_at: string;
}

export interface ItemInput {
  title: string;
  description?: string;
  done?: boolean;
}

export interface ItemPage {
  items: Item[];
  total: number;
  limit: number;
  offset: number;
}

export interface ItemQuery {
  limit?: number;
  offset?: number;
  done?: boolean;
  q?: string;
}

export function listItems(query: ItemQuery = {}): Promise<ItemPage> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") {
      params.set(key, String(value));
    }
  }
  const search = params.toString();
  return request<ItemPage>(`/api/items${search ? `?${search}` : ""}`);
}

export function createItem(input: ItemInput): Promise<Item> {
  return request<Item>("/api/items", { method: "POST", body: JSON.stringify(input) });
}

export function updateItem(id: number, changes: Partial<ItemInput>): Promise<Item> {
  return request<Item>(`/api/items/${id}`, { method: "PATCH", body: JSON.stringify(changes) });
}

export function deleteItem(id: number): Promise<void> {
  return request<void>(`/api/items/${id}`, { method: "DELETE" });
}
