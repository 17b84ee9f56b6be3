import { beforeEach, describe, expect, it } from "vitest";

import { DELETE, GET as getOne, PUT } from "@/app/api/items/[id]/route";
import { GET as list, POST } from "@/app/api/items/route";
import type { Item } from "@/lib/models";
import { resetStore } from "@/lib/store";

function json(method: string, body: unknown, path = "/api/items"): Request {
  return new Request(`http://localhost${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

function context(id: string) {
  return { params: Promise.resolve({ id }) };
}

async function create(title: string): Promise<Item> {
  const response = await POST(json("POST", { title }));
  expect(response.status).toBe(201);
  return (await response.json()) as Item;
}

describe("/api/items", () => {
  beforeEach(async () => {
    await resetStore();
  });

  it("lists nothing at first", async () => {
    const response = await list();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
  });

  it("creates an item with defaults and lists it", async () => {
    const response = await POST(json("POST", { title: "  Invoice ACME  ", description: "Net 30" }));
    expect(response.status).toBe(201);
    const created = (await response.json()) as Item;
    expect(created).toMatchObject({ id: "1", title: "Invoice ACME", description: "Net 30", done: false });
    expect(Date.parse(created.createdAt)).not.toBeNaN();
    expect(await (await list()).json()).toEqual([created]);
  });

  it("refuses an item without a title with a 400 and the reason", async () => {
    const response = await POST(json("POST", { description: "no title" }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "Title is required" });
    expect(await (await list()).json()).toEqual([]);
  });

  it("refuses a body that is not JSON, or not an object", async () => {
    const broken = await POST(json("POST", "{not json"));
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ error: "The body must be valid JSON" });
    const array = await POST(json("POST", ["title"]));
    expect(array.status).toBe(400);
    expect(await array.json()).toEqual({ error: "The body must be a JSON object" });
  });

  it("refuses fields of the wrong type", async () => {
    const response = await POST(json("POST", { title: "ok", done: "yes" }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "Done must be true or false" });
  });
});

describe("/api/items/:id", () => {
  beforeEach(async () => {
    await resetStore();
  });

  it("reads one item", async () => {
    const created = await create("Quarterly taxes");
    const response = await getOne(new Request("http://localhost/api/items/1"), context(created.id));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(created);
  });

  it("answers 404 for an unknown id", async () => {
    const response = await getOne(new Request("http://localhost/api/items/99"), context("99"));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "No item with id 99" });
  });

  it("replaces an item's fields and keeps its id and creation time", async () => {
    const created = await create("Draft");
    const response = await PUT(json("PUT", { title: "Final", done: true }, "/api/items/1"), context(created.id));
    expect(response.status).toBe(200);
    const updated = (await response.json()) as Item;
    expect(updated).toMatchObject({ id: created.id, title: "Final", description: "", done: true });
    expect(updated.createdAt).toBe(created.createdAt);
  });

  it("validates a replacement, and answers 404 for an unknown id", async () => {
    const created = await create("Draft");
    const invalid = await PUT(json("PUT", { title: "" }, "/api/items/1"), context(created.id));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({ error: "Title is required" });
    const missing = await PUT(json("PUT", { title: "Ghost" }, "/api/items/42"), context("42"));
    expect(missing.status).toBe(404);
  });

  it("deletes an item once", async () => {
    const created = await create("Temporary");
    const request = () => new Request("http://localhost/api/items/1", { method: "DELETE" });
    const first = await DELETE(request(), context(created.id));
    expect(first.status).toBe(204);
    expect(await first.text()).toBe("");
    const second = await DELETE(request(), context(created.id));
    expect(second.status).toBe(404);
    expect(await (await list()).json()).toEqual([]);
  });
});
