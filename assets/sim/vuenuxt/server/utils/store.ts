// The item store: an in-memory map behind an async interface, so that a database can
// replace it without touching the server routes. Plain functions with explicit imports,
// so that unit tests can call them directly.
import type { Item, ItemInput } from "../../shared/types/item";

const items = new Map<string, Item>();
let lastId = 0;

/** Every item, oldest first. */
export async function listItems(): Promise<Item[]> {
  return [...items.values()].map((item) => ({ ...item }));
}

/** The item with this id, or undefined. */
export async function findItem(id: string): Promise<Item | undefined> {
  const item = items.get(id);
  return item ? { ...item } : undefined;
}

/** Stores a new item from validated input and returns it. */
export async function createItem(input: ItemInput): Promise<Item> {
  lastId += 1;
  const now = new Date().toISOString();
  const item: Item = { id: String(lastId), ...input, createdAt: now, updatedAt: now };
  items.set(item.id, item);
  return { ...item };
}

/** Replaces an item's fields; undefined when there is no such item. */
export async function updateItem(id: string, input: ItemInput): Promise<Item | undefined> {
  const current = items.get(id);
  if (!current) {
    return undefined;
  }
  const item: Item = { ...current, ...input, updatedAt: new Date().toISOString() };
  items.set(id, item);
  return { ...item };
}

/** Deletes an item; false when there was no such item. */
export async function deleteItem(id: string): Promise<boolean> {
  return items.delete(id);
}

/** Empties the store (for tests). */
export async function clearItems(): Promise<void> {
  items.clear();
  lastId = 0;
}
