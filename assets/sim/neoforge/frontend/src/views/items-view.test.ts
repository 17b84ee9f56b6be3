import { afterEach, describe, expect, it, vi } from "vitest";

import { API_URL, type Item } from "../api";
import { session } from "../session";
import { PAGE_SIZE, type ItemsView } from "./items-view";

const USER = { id: 1, email: "ada@example.com", full_name: null, created_at: "2025-01-01T00:00:00Z" };

function json(body: unknown, status = 200): Response {
  return status === 204
    ? new Response(null, { status })
    : new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function item(id: number, title: string, done = false): Item {
  const at = "2025-01-01T00:00:00Z";
  return { id, title, description: "", done, owner_id: USER.id, created_at: at, updated_at: at };
}

/** A fetch stub playing the backend: sign-in for one account, and its items with paging. */
function fakeBackend(items: Item[], options: { failList?: boolean; expired?: boolean } = {}) {
  const calls: { method: string; path: string; body: unknown }[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = new URL(String(input));
      const path = url.href.replace(API_URL, "");
      const method = init.method ?? "GET";
      const body: unknown = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
      calls.push({ method, path, body });
      if (url.pathname === "/api/auth/login") {
        return json({ access_token: "token-1", token_type: "bearer", expires_in: 3600 });
      }
      if (new Headers(init.headers).get("Authorization") !== "Bearer token-1" || options.expired) {
        return json({ detail: "Could not validate credentials" }, 401);
      }
      if (url.pathname === "/api/auth/me") {
        return json(USER);
      }
      if (url.pathname === "/api/items" && method === "GET") {
        if (options.failList) {
          return json({ detail: "Database unavailable" }, 503);
        }
        const limit = Number(url.searchParams.get("limit") ?? 20);
        const offset = Number(url.searchParams.get("offset") ?? 0);
        return json({ items: items.slice(offset, offset + limit), total: items.length, limit, offset });
      }
      if (url.pathname === "/api/items" && method === "POST") {
        const input = body as { title: string; description: string };
        const created = { ...item(items.length + 100, input.title), description: input.description };
        items.push(created);
        return json(created, 201);
      }
      const id = Number(url.pathname.split("/").pop());
      const index = items.findIndex((i) => i.id === id);
      if (index === -1) {
        return json({ detail: `Item ${id} not found` }, 404);
      }
      if (method === "PATCH") {
        items[index] = { ...items[index]!, ...(body as Partial<Item>) };
        return json(items[index]);
      }
      if (method === "DELETE") {
        items.splice(index, 1);
        return json(null, 204);
      }
      return json(items[index]);
    }),
  );
  return calls;
}

async function mount(): Promise<ItemsView> {
  const element = document.createElement("items-view");
  document.body.append(element);
  await element.updateComplete;
  return element;
}

function root(element: ItemsView): ShadowRoot {
  if (!element.shadowRoot) {
    throw new Error("items-view has no shadow root");
  }
  return element.shadowRoot;
}

function titles(element: ItemsView): string[] {
  return [...root(element).querySelectorAll("li .title")].map((title) => title.textContent ?? "");
}

describe("items-view", () => {
  afterEach(() => {
    session.signOut();
    window.localStorage.clear();
    document.body.replaceChildren();
    vi.unstubAllGlobals();
  });

  it("asks to sign in when nobody is signed in, without calling the API", async () => {
    const calls = fakeBackend([item(1, "Hidden")]);
    const element = await mount();
    expect(root(element).querySelector(".signed-out a")?.getAttribute("href")).toBe("#/login");
    expect(root(element).querySelector("form")).toBeNull();
    expect(calls).toEqual([]);
  });

  it("shows a loading state, then the signed-in user's items", async () => {
    fakeBackend([item(1, "Invoice ACME"), item(2, "Chase payment", true)]);
    await session.signIn("ada@example.com", "correct horse");
    const element = await mount();
    expect(root(element).querySelector(".loading")?.textContent).toBe("Loading your items…");
    await vi.waitFor(() => expect(titles(element)).toEqual(["Invoice ACME", "Chase payment"]));
    const rows = root(element).querySelectorAll("li");
    expect(rows[1]?.classList.contains("done")).toBe(true);
    expect(rows[1]?.querySelector<HTMLInputElement>('input[type="checkbox"]')?.checked).toBe(true);
    expect(root(element).querySelector(".range")?.textContent).toBe("1–2 of 2");
  });

  it("loads the items when the user signs in while the view is open", async () => {
    fakeBackend([item(1, "After sign-in")]);
    const element = await mount();
    expect(root(element).querySelector(".signed-out")).not.toBeNull();
    await session.signIn("ada@example.com", "correct horse");
    await vi.waitFor(() => expect(titles(element)).toEqual(["After sign-in"]));
  });

  it("says so when there are no items yet", async () => {
    fakeBackend([]);
    await session.signIn("ada@example.com", "correct horse");
    const element = await mount();
    await vi.waitFor(() => {
      expect(root(element).querySelector(".empty")?.textContent).toContain("No items yet");
    });
  });

  it("shows the API's error when the list cannot be loaded", async () => {
    fakeBackend([], { failList: true });
    await session.signIn("ada@example.com", "correct horse");
    const element = await mount();
    await vi.waitFor(() => {
      expect(root(element).querySelector('[role="alert"]')?.textContent).toBe(
        "Could not load your items: Database unavailable",
      );
    });
  });

  it("adds an item with POST and shows it", async () => {
    const calls = fakeBackend([item(1, "First")]);
    await session.signIn("ada@example.com", "correct horse");
    const element = await mount();
    await vi.waitFor(() => expect(titles(element)).toEqual(["First"]));
    const form = root(element).querySelector("form");
    root(element).querySelector<HTMLInputElement>('input[name="title"]')!.value = "  Send invoice ";
    root(element).querySelector<HTMLInputElement>('input[name="description"]')!.value = "Net 30";
    form?.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    await vi.waitFor(() => expect(titles(element)).toEqual(["First", "Send invoice"]));
    expect(calls.find((c) => c.method === "POST" && c.path === "/api/items")?.body).toEqual({
      title: "Send invoice",
      description: "Net 30",
    });
    expect(root(element).querySelector<HTMLInputElement>('input[name="title"]')?.value).toBe("");
  });

  it("refuses an item without a title before calling the API", async () => {
    const calls = fakeBackend([]);
    await session.signIn("ada@example.com", "correct horse");
    const element = await mount();
    root(element).querySelector("form")?.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    await element.updateComplete;
    expect(root(element).querySelector(".form-error")?.textContent).toBe("Give the item a title.");
    expect(calls.some((c) => c.method === "POST" && c.path === "/api/items")).toBe(false);
  });

  it("marks an item done with PATCH, and deletes one with DELETE", async () => {
    const calls = fakeBackend([item(1, "Keep"), item(2, "Remove me")]);
    await session.signIn("ada@example.com", "correct horse");
    const element = await mount();
    await vi.waitFor(() => expect(titles(element)).toHaveLength(2));
    root(element).querySelector<HTMLInputElement>('li[data-id="1"] input[type="checkbox"]')?.click();
    await vi.waitFor(() => expect(root(element).querySelector('li[data-id="1"]')?.classList.contains("done")).toBe(true));
    expect(calls.at(-1)).toEqual({ method: "PATCH", path: "/api/items/1", body: { done: true } });
    root(element).querySelector<HTMLButtonElement>('li[data-id="2"] button.delete')?.click();
    await vi.waitFor(() => expect(titles(element)).toEqual(["Keep"]));
    expect(calls.some((c) => c.method === "DELETE" && c.path === "/api/items/2")).toBe(true);
  });

  it("pages through the items", async () => {
    const many = Array.from({ length: PAGE_SIZE + 3 }, (_, i) => item(i + 1, `Item ${i + 1}`));
    const calls = fakeBackend(many);
    await session.signIn("ada@example.com", "correct horse");
    const element = await mount();
    await vi.waitFor(() => expect(titles(element)).toHaveLength(PAGE_SIZE));
    expect(root(element).querySelector<HTMLButtonElement>("button.previous")?.disabled).toBe(true);
    root(element).querySelector<HTMLButtonElement>("button.next")?.click();
    await vi.waitFor(() => expect(titles(element)).toEqual(["Item 11", "Item 12", "Item 13"]));
    expect(calls.at(-1)?.path).toBe(`/api/items?limit=${PAGE_SIZE}&offset=${PAGE_SIZE}`);
    expect(root(element).querySelector(".range")?.textContent).toBe(`11–13 of ${PAGE_SIZE + 3}`);
    expect(root(element).querySelector<HTMLButtonElement>("button.next")?.disabled).toBe(true);
  });

  it("signs the user out when the API refuses the token", async () => {
    fakeBackend([item(1, "Secret")]);
    await session.signIn("ada@example.com", "correct horse");
    fakeBackend([item(1, "Secret")], { expired: true });
    const element = await mount();
    await vi.waitFor(() => expect(session.signedIn).toBe(false));
    await element.updateComplete;
    expect(root(element).querySelector(".signed-out")).not.toBeNull();
    expect(titles(element)).toEqual([]);
  });
});
