// The item store: an in-memory map behind an async interface, so that a database can
// replace it without touching the route handlers. Kept on globalThis so that every route
// bundle (and hot reloads in development) share one store in a server process.
import type { Item, ItemInput } from "@/lib/models";

interface StoreState {
  items: Map<string, Item>;
  lastId: number;
}

const root = globalThis as typeof globalThis & { __itemStore?: StoreState };

function state(): StoreState {
  root.__itemStore ??= { items: new Map(), lastId: 0 };
  return root.__itemStore;
}

/** Every item, oldest first. */
export async function listItems(): Promise<Item[]> {
  return [...state().items.values()].map((item) => ({ ...item }));
}

/** The item with this id, or undefined. */
export async function getItem(id: string): Promise<Item | undefined> {
  const item = state().items.get(id);
  return item ? { ...item } : undefined;
}

/** Stores a new item from validated input and returns it. */
export async function createItem(input: ItemInput): Promise<Item> {
  const store = state();
  store.lastId += 1;
  const now = new Date().toISOString();
  const item: Item = { id: String(store.lastId), ...input, createdAt: now, updatedAt: now };
  store.items.set(item.id, item);
  return { ...item };
}

/** Replaces an item's fields; undefined when there is no such item. */
export async function updateItem(id: string, input: ItemInput): Promise<Item | undefined> {
  const store = state();
  const current = store.items.get(id);
  if (!current) {
    return undefined;
  }
  const item: Item = { ...current, ...input, updatedAt: new Date().toISOString() };
  store.items.set(id, item);
  return { ...item };
}

/** Deletes an item; false when there was no such item. */
export async function deleteItem(id: string): Promise<boolean> {
  return state().items.delete(id);
}

/** Empties the store (for tests). */
export async function resetStore(): Promise<void> {
  root.__itemStore = { items: new Map(), lastId: 0 };
}
