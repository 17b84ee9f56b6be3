import { beforeEach, describe, expect, it } from "vitest";

import { DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, validateItemInput } from "../../shared/types/item";
import { clearItems, createItem, deleteItem, findItem, listItems, updateItem } from "../../server/utils/store";

describe("the item store", () => {
  beforeEach(async () => {
    await clearItems();
  });

  it("starts empty", async () => {
    expect(await listItems()).toEqual([]);
  });

  it("creates items with ids and timestamps, listed oldest first", async () => {
    const first = await createItem({ title: "Invoice ACME", description: "", done: false });
    const second = await createItem({ title: "Chase payment", description: "Send a reminder", done: true });
    expect(first.id).toBe("1");
    expect(second.id).toBe("2");
    expect(Date.parse(first.createdAt)).not.toBeNaN();
    expect(first.updatedAt).toBe(first.createdAt);
    expect((await listItems()).map((item) => item.title)).toEqual(["Invoice ACME", "Chase payment"]);
  });

  it("finds an item by id, and nothing for an unknown id", async () => {
    const created = await createItem({ title: "Quarterly taxes", description: "", done: false });
    expect(await findItem(created.id)).toEqual(created);
    expect(await findItem("999")).toBeUndefined();
  });

  it("hands out copies, so callers cannot change stored items", async () => {
    const created = await createItem({ title: "Original", description: "", done: false });
    created.title = "Changed by the caller";
    expect((await findItem(created.id))?.title).toBe("Original");
  });

  it("updates an item's fields and keeps its id and creation time", async () => {
    const created = await createItem({ title: "Draft", description: "", done: false });
    const updated = await updateItem(created.id, { title: "Final", description: "Checked", done: true });
    expect(updated).toMatchObject({ id: created.id, title: "Final", description: "Checked", done: true });
    expect(updated?.createdAt).toBe(created.createdAt);
    expect(await findItem(created.id)).toEqual(updated);
  });

  it("does not update an unknown item", async () => {
    expect(await updateItem("42", { title: "Ghost", description: "", done: false })).toBeUndefined();
    expect(await listItems()).toEqual([]);
  });

  it("deletes an item once", async () => {
    const created = await createItem({ title: "Temporary", description: "", done: false });
    expect(await deleteItem(created.id)).toBe(true);
    expect(await deleteItem(created.id)).toBe(false);
    expect(await findItem(created.id)).toBeUndefined();
  });
});

describe("item validation", () => {
  it("accepts a title alone, trims text and fills the defaults", () => {
    expect(validateItemInput({ title: "  Send invoice  " })).toEqual({
      ok: true,
      value: { title: "Send invoice", description: "", done: false },
    });
  });

  it("refuses a body that is not an object", () => {
    for (const body of [null, "title", 42, ["title"]]) {
      expect(validateItemInput(body)).toEqual({ ok: false, error: "The body must be a JSON object" });
    }
  });

  it("requires a non-blank title", () => {
    expect(validateItemInput({})).toEqual({ ok: false, error: "Title is required" });
    expect(validateItemInput({ title: "   " })).toEqual({ ok: false, error: "Title is required" });
  });

  it("limits the length of the title and the description", () => {
    expect(validateItemInput({ title: "x".repeat(TITLE_MAX_LENGTH + 1) })).toMatchObject({ ok: false });
    expect(validateItemInput({ title: "x".repeat(TITLE_MAX_LENGTH) })).toMatchObject({ ok: true });
    expect(validateItemInput({ title: "ok", description: "d".repeat(DESCRIPTION_MAX_LENGTH + 1) })).toMatchObject({
      ok: false,
    });
  });

  it("checks the types of the optional fields", () => {
    expect(validateItemInput({ title: "ok", description: 3 })).toEqual({ ok: false, error: "Description must be text" });
    expect(validateItemInput({ title: "ok", done: "yes" })).toEqual({ ok: false, error: "Done must be true or false" });
  });
});
