import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { Suspense } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import ItemPage from "@/app/items/[id]/page";
import ItemsPage from "@/app/items/page";
import type { Item } from "@/lib/models";

const push = vi.fn();
vi.mock("next/navigation", () => ({
  useRouter: () => ({ push, replace: vi.fn(), back: vi.fn(), refresh: vi.fn(), prefetch: vi.fn() }),
  usePathname: () => "/items",
}));

function item(id: string, title: string, done = false): Item {
  const at = "2025-01-01T00:00:00.000Z";
  return { id, title, description: "", done, createdAt: at, updatedAt: at };
}

function reply(body: unknown, status = 200): Response {
  return status === 204
    ? new Response(null, { status })
    : new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** A fetch stub that serves /api/items from an array, recording each call. */
function fakeApi(items: Item[]) {
  const calls: { method: string; url: string; body?: unknown }[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const method = init.method ?? "GET";
    const body = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
    calls.push({ method, url, body });
    const id = url.match(/^\/api\/items\/(.+)$/)?.[1];
    const index = items.findIndex((i) => i.id === id);
    if (url === "/api/items" && method === "GET") return reply(items);
    if (url === "/api/items" && method === "POST") {
      const created = { ...item(String(items.length + 1), body.title), ...body };
      items.push(created);
      return reply(created, 201);
    }
    if (index === -1) return reply({ error: `No item with id ${id}` }, 404);
    if (method === "GET") return reply(items[index]);
    if (method === "PUT") {
      items[index] = { ...items[index]!, ...body, updatedAt: "2025-01-02T00:00:00.000Z" };
      return reply(items[index]);
    }
    items.splice(index, 1);
    return reply(null, 204);
  });
  vi.stubGlobal("fetch", fetch);
  return calls;
}

describe("the items page", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("shows a loading state, then the items with links to their pages", async () => {
    fakeApi([item("1", "Invoice ACME"), item("2", "Chase payment", true)]);
    render(<ItemsPage />);
    expect(screen.getByRole("status").textContent).toBe("Loading items…");
    const list = await screen.findByRole("list", { name: "Items" });
    const links = within(list).getAllByRole("link");
    expect(links.map((link) => link.textContent)).toEqual(["Invoice ACME", "Chase payment"]);
    expect(links[0]?.getAttribute("href")).toBe("/items/1");
    expect(within(list).getAllByText("done")).toHaveLength(1);
    expect(screen.queryByRole("status")).toBeNull();
  });

  it("says so when there are no items yet", async () => {
    fakeApi([]);
    render(<ItemsPage />);
    expect(await screen.findByText("No items yet: add the first one above.")).toBeTruthy();
    expect(screen.queryByRole("list")).toBeNull();
  });

  it("shows the API's error, and loads again on request", async () => {
    const fetch = vi.fn(async () => reply({ error: "Database unavailable" }, 503));
    vi.stubGlobal("fetch", fetch);
    render(<ItemsPage />);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Could not load the items: Database unavailable");
    fakeApi([item("1", "Back again")]);
    fireEvent.click(within(alert).getByRole("button", { name: "Try again" }));
    expect((await screen.findByRole("link", { name: "Back again" })).getAttribute("href")).toBe("/items/1");
  });

  it("adds an item from the form with POST and shows it", async () => {
    const calls = fakeApi([]);
    render(<ItemsPage />);
    await screen.findByText("No items yet: add the first one above.");
    fireEvent.change(screen.getByLabelText("Title"), { target: { value: "Send invoice" } });
    fireEvent.click(screen.getByRole("button", { name: "Add item" }));
    expect((await screen.findByRole("link", { name: "Send invoice" })).getAttribute("href")).toBe("/items/1");
    expect(calls.filter((c) => c.method === "POST")).toEqual([
      { method: "POST", url: "/api/items", body: { title: "Send invoice", description: "", done: false } },
    ]);
    expect((screen.getByLabelText("Title") as HTMLInputElement).value).toBe("");
  });

  it("deletes an item with DELETE and removes it from the list", async () => {
    const calls = fakeApi([item("1", "Keep"), item("2", "Remove me")]);
    render(<ItemsPage />);
    fireEvent.click(await screen.findByRole("button", { name: "Delete Remove me" }));
    await waitFor(() => expect(screen.queryByRole("link", { name: "Remove me" })).toBeNull());
    expect(screen.getByRole("link", { name: "Keep" })).toBeTruthy();
    expect(calls.at(-1)).toEqual({ method: "DELETE", url: "/api/items/2", body: undefined });
  });
});

describe("the item page", () => {
  beforeEach(() => {
    push.mockClear();
  });

  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  async function renderItem(id: string): Promise<void> {
    await act(async () => {
      render(
        <Suspense fallback={<p>Waiting…</p>}>
          <ItemPage params={Promise.resolve({ id })} />
        </Suspense>,
      );
    });
  }

  it("shows the item in an edit form and saves changes with PUT", async () => {
    const calls = fakeApi([item("7", "Draft")]);
    await renderItem("7");
    expect((await screen.findByRole("heading", { level: 1 })).textContent).toBe("Draft");
    fireEvent.change(screen.getByLabelText("Title"), { target: { value: "Final" } });
    fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Final"));
    expect(screen.getByRole("status").textContent).toBe("Saved.");
    expect(calls.at(-1)).toEqual({
      method: "PUT",
      url: "/api/items/7",
      body: { title: "Final", description: "", done: false },
    });
  });

  it("says so when the item does not exist", async () => {
    fakeApi([]);
    await renderItem("404");
    expect((await screen.findByRole("alert")).textContent).toBe("This item does not exist.");
    expect(screen.queryByRole("form")).toBeNull();
  });

  it("deletes the item and goes back to the list", async () => {
    const calls = fakeApi([item("7", "Temporary")]);
    await renderItem("7");
    fireEvent.click(await screen.findByRole("button", { name: "Delete this item" }));
    await waitFor(() => expect(push).toHaveBeenCalledWith("/items"));
    expect(calls.at(-1)).toEqual({ method: "DELETE", url: "/api/items/7", body: undefined });
  });
});
