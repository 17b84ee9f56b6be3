import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { API_URL } from "../api";
import { session } from "../session";
import { AFTER_SIGN_IN, type LoginView } from "./login-view";

const USER = { id: 1, email: "ada@example.com", full_name: "Ada", created_at: "2025-01-01T00:00:00Z" };
const PASSWORD = "correct horse";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

interface Call {
  method: string;
  path: string;
  body: unknown;
  authorization: string | null;
}

/** A fetch stub playing the backend's /api/auth routes for one account. */
function fakeAuth(options: { signupTaken?: boolean } = {}): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const path = String(input).replace(API_URL, "");
      const method = init.method ?? "GET";
      const body: unknown = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
      const authorization = new Headers(init.headers).get("Authorization");
      calls.push({ method, path, body, authorization });
      if (path === "/api/auth/login") {
        const { email, password } = body as { email: string; password: string };
        return email === USER.email && password === PASSWORD
          ? json({ access_token: "token-1", token_type: "bearer", expires_in: 3600 })
          : json({ detail: "Incorrect email or password" }, 401);
      }
      if (path === "/api/auth/signup") {
        return options.signupTaken
          ? json({ detail: "An account with this email already exists" }, 409)
          : json({ ...USER, email: (body as { email: string }).email }, 201);
      }
      if (path === "/api/auth/me") {
        return authorization === "Bearer token-1" ? json(USER) : json({ detail: "Could not validate credentials" }, 401);
      }
      return json({ detail: "Not Found" }, 404);
    }),
  );
  return calls;
}

async function mount(): Promise<LoginView> {
  const element = document.createElement("login-view");
  document.body.append(element);
  await element.updateComplete;
  return element;
}

function shadow(element: LoginView): ShadowRoot {
  if (!element.shadowRoot) {
    throw new Error("login-view has no shadow root");
  }
  return element.shadowRoot;
}

function fill(element: LoginView, values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    const input = shadow(element).querySelector<HTMLInputElement>(`input[name="${name}"]`);
    if (!input) {
      throw new Error(`no input named ${name}`);
    }
    input.value = value;
  }
}

function submit(element: LoginView): void {
  shadow(element).querySelector("form")?.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
}

describe("login-view", () => {
  beforeEach(() => {
    window.location.hash = "#/login";
  });

  afterEach(() => {
    session.signOut();
    window.localStorage.clear();
    document.body.replaceChildren();
    vi.unstubAllGlobals();
  });

  it("shows the sign-in form", async () => {
    const element = await mount();
    expect(shadow(element).querySelector("h2")?.textContent).toBe("Sign in");
    expect(shadow(element).querySelector('input[name="email"]')?.getAttribute("type")).toBe("email");
    expect(shadow(element).querySelector('input[name="password"]')?.getAttribute("type")).toBe("password");
    expect(shadow(element).querySelector('button[type="submit"]')?.textContent?.trim()).toBe("Sign in");
  });

  it("signs in, remembers the token and goes to the items", async () => {
    const calls = fakeAuth();
    const element = await mount();
    fill(element, { email: " ada@example.com ", password: PASSWORD });
    submit(element);
    await vi.waitFor(() => expect(session.user?.email).toBe("ada@example.com"));
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(["POST /api/auth/login", "GET /api/auth/me"]);
    expect(calls[0]?.body).toEqual({ email: "ada@example.com", password: PASSWORD });
    expect(calls[1]?.authorization).toBe("Bearer token-1");
    expect(window.localStorage.getItem("auth.token")).toBe("token-1");
    expect(window.location.hash).toBe(AFTER_SIGN_IN);
    await element.updateComplete;
    expect(shadow(element).querySelector(".signed-in")?.textContent).toContain("ada@example.com");
  });

  it("shows the backend's message when the password is wrong", async () => {
    fakeAuth();
    const element = await mount();
    fill(element, { email: "ada@example.com", password: "wrong password" });
    submit(element);
    await vi.waitFor(() => {
      expect(shadow(element).querySelector('[role="alert"]')?.textContent).toBe("Incorrect email or password");
    });
    expect(session.signedIn).toBe(false);
    expect(window.localStorage.getItem("auth.token")).toBeNull();
    expect(window.location.hash).toBe("#/login");
  });

  it("asks for both fields before calling the API", async () => {
    const calls = fakeAuth();
    const element = await mount();
    fill(element, { email: "ada@example.com" });
    submit(element);
    await element.updateComplete;
    expect(shadow(element).querySelector('[role="alert"]')?.textContent).toBe("Enter your email and password.");
    expect(calls).toEqual([]);
  });

  it("creates an account, then signs in with it", async () => {
    const calls = fakeAuth();
    const element = await mount();
    shadow(element).querySelector<HTMLButtonElement>("button.switch")?.click();
    await element.updateComplete;
    expect(shadow(element).querySelector("h2")?.textContent).toBe("Create an account");
    fill(element, { email: "ada@example.com", password: PASSWORD, full_name: "Ada" });
    submit(element);
    await vi.waitFor(() => expect(session.signedIn).toBe(true));
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      "POST /api/auth/signup",
      "POST /api/auth/login",
      "GET /api/auth/me",
    ]);
    expect(calls[0]?.body).toEqual({ email: "ada@example.com", password: PASSWORD, full_name: "Ada" });
  });

  it("refuses a short password when signing up, and shows a taken email", async () => {
    const calls = fakeAuth({ signupTaken: true });
    const element = await mount();
    shadow(element).querySelector<HTMLButtonElement>("button.switch")?.click();
    await element.updateComplete;
    fill(element, { email: "ada@example.com", password: "short" });
    submit(element);
    await element.updateComplete;
    expect(shadow(element).querySelector('[role="alert"]')?.textContent).toBe(
      "Choose a password of at least 8 characters.",
    );
    expect(calls).toEqual([]);
    fill(element, { password: PASSWORD });
    submit(element);
    await vi.waitFor(() => {
      expect(shadow(element).querySelector('[role="alert"]')?.textContent).toBe(
        "An account with this email already exists",
      );
    });
  });

  it("says when the backend cannot be reached", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))),
    );
    const element = await mount();
    fill(element, { email: "ada@example.com", password: PASSWORD });
    submit(element);
    await vi.waitFor(() => {
      expect(shadow(element).querySelector('[role="alert"]')?.textContent).toContain("could not be reached");
    });
  });
});
