import { mountSuspended, registerEndpoint } from "@nuxt/test-utils/runtime";
import { flushPromises } from "@vue/test-utils";
import { readBody } from "h3";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Item } from "#shared/types/item";
import ItemPage from "~/pages/items/[id].vue";
import ItemsPage from "~/pages/items/index.vue";

function item(id: string, title: string, done = false): Item {
  const at = "2025-01-01T00:00:00.000Z";
  return { id, title, description: "", done, createdAt: at, updatedAt: at };
}

const unregister: Array<() => void> = [];

function endpoint(...args: Parameters<typeof registerEndpoint>): void {
  unregister.push(registerEndpoint(...args));
}

describe("the items page", () => {
  afterEach(() => {
    unregister.splice(0).forEach((undo) => undo());
    clearNuxtData();
  });

  it("lists the items with links to their pages", async () => {
    endpoint("/api/items", () => [item("1", "Invoice ACME"), item("2", "Chase payment", true)]);
    const page = await mountSuspended(ItemsPage);
    const rows = page.findAll("li.item");
    expect(rows.map((row) => row.get(".title").text())).toEqual(["Invoice ACME", "Chase payment"]);
    expect(rows[0]?.get("a").attributes("href")).toBe("/items/1");
    expect(rows[1]?.find(".done").exists()).toBe(true);
  });

  it("is shown in the default layout, with the navigation", async () => {
    endpoint("/api/items", () => []);
    const page = await mountSuspended(ItemsPage);
    const links = page.findAll('nav[aria-label="Main"] a');
    expect(links.map((link) => link.attributes("href"))).toEqual(["/", "/items"]);
  });

  it("says so when there are no items yet", async () => {
    endpoint("/api/items", () => []);
    const page = await mountSuspended(ItemsPage);
    expect(page.get(".empty").text()).toContain("No items yet");
    expect(page.findAll("li.item")).toHaveLength(0);
  });

  it("shows an error when the API fails", async () => {
    endpoint("/api/items", () => {
      throw createError({ statusCode: 500, statusMessage: "Database unavailable" });
    });
    const page = await mountSuspended(ItemsPage);
    expect(page.get('[role="alert"]').text()).toContain("Could not load the items");
  });

  it("creates an item from the form and shows the refreshed list", async () => {
    const stored: Item[] = [];
    const posted: unknown[] = [];
    endpoint("/api/items", { method: "GET", handler: () => stored });
    endpoint("/api/items", {
      method: "POST",
      handler: async (event) => {
        const body = await readBody(event);
        posted.push(body);
        const created = item(String(stored.length + 1), body.title);
        stored.push(created);
        return created;
      },
    });
    const page = await mountSuspended(ItemsPage);
    expect(page.find("li.item").exists()).toBe(false);
    await page.get('input[name="title"]').setValue("Send invoice");
    await page.get("form").trigger("submit");
    await vi.waitFor(async () => {
      await flushPromises();
      expect(page.findAll("li.item .title").map((title) => title.text())).toEqual(["Send invoice"]);
    });
    expect(posted).toEqual([{ title: "Send invoice", description: "", done: false }]);
  });
});

describe("the item page", () => {
  afterEach(() => {
    unregister.splice(0).forEach((undo) => undo());
    clearNuxtData();
  });

  it("shows the item in an edit form", async () => {
    endpoint("/api/items/7", () => ({ ...item("7", "Quarterly taxes", true), description: "Q3" }));
    const page = await mountSuspended(ItemPage, { route: "/items/7" });
    expect(page.get("h1").text()).toBe("Quarterly taxes");
    expect((page.get('input[name="title"]').element as HTMLInputElement).value).toBe("Quarterly taxes");
    expect((page.get('input[name="done"]').element as HTMLInputElement).checked).toBe(true);
  });

  it("saves changes with PUT and shows the saved item", async () => {
    const sent: unknown[] = [];
    endpoint("/api/items/7", { method: "GET", handler: () => item("7", "Draft") });
    endpoint("/api/items/7", {
      method: "PUT",
      handler: async (event) => {
        const body = await readBody(event);
        sent.push(body);
        return { ...item("7", body.title), updatedAt: "2025-01-02T00:00:00.000Z" };
      },
    });
    const page = await mountSuspended(ItemPage, { route: "/items/7" });
    await page.get('input[name="title"]').setValue("Final");
    await page.get("form").trigger("submit");
    await vi.waitFor(async () => {
      await flushPromises();
      expect(page.get("h1").text()).toBe("Final");
    });
    expect(sent).toEqual([{ title: "Final", description: "", done: false }]);
    expect(page.get(".saved").text()).toBe("Saved.");
  });

  it("says so when the item does not exist", async () => {
    endpoint("/api/items/404", () => {
      throw createError({ statusCode: 404, statusMessage: "No item with id 404" });
    });
    const page = await mountSuspended(ItemPage, { route: "/items/404" });
    expect(page.get('[role="alert"]').text()).toBe("This item does not exist.");
    expect(page.find("form").exists()).toBe(false);
  });
});
