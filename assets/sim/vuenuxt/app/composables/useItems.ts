// Calls the items API from the app: mutations with $fetch (pages read the list and one
// item with useFetch, so that the server renders them).
import type { Item, ItemInput } from "#shared/types/item";

export function useItems() {
  /** Creates an item; throws the API's error (400 with the reason) when it is refused. */
  function create(input: ItemInput): Promise<Item> {
    return $fetch<Item>("/api/items", { method: "POST", body: input });
  }

  /** Replaces an item's fields; throws on 400 and 404. */
  function update(id: string, input: ItemInput): Promise<Item> {
    return $fetch<Item>(`/api/items/${encodeURIComponent(id)}`, { method: "PUT", body: input });
  }

  /** Deletes an item; throws on 404. */
  async function remove(id: string): Promise<void> {
    await $fetch(`/api/items/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  return { create, update, remove };
}
