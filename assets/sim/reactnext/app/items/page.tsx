"use client";

// The items page: the list with loading, error and empty states, the form that adds an
// item, and a delete button per item. Talks to the API only through lib/api.ts.
import Link from "next/link";
import { useEffect, useState } from "react";

import ItemForm from "@/components/item-form";
import { createItem, deleteItem, errorMessage, listItems } from "@/lib/api";
import type { Item, ItemInput } from "@/lib/models";

type ListState = { status: "loading" } | { status: "error"; message: string } | { status: "ready"; items: Item[] };

export default function ItemsPage() {
  const [list, setList] = useState<ListState>({ status: "loading" });
  const [actionError, setActionError] = useState<string | null>(null);

  /** Bumped to load the list again (after an error). */
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let active = true;
    listItems().then(
      (items) => active && setList({ status: "ready", items }),
      (error: unknown) => active && setList({ status: "error", message: errorMessage(error) }),
    );
    return () => {
      active = false;
    };
  }, [attempt]);

  function retry(): void {
    setList({ status: "loading" });
    setAttempt((n) => n + 1);
  }

  async function handleCreate(input: ItemInput): Promise<void> {
    const created = await createItem(input);
    setList((current) => ({ status: "ready", items: [...(current.status === "ready" ? current.items : []), created] }));
  }

  async function handleDelete(item: Item): Promise<void> {
    setActionError(null);
    try {
      await deleteItem(item.id);
      setList((current) =>
        current.status === "ready" ? { status: "ready", items: current.items.filter((i) => i.id !== item.id) } : current,
      );
    } catch (error) {
      setActionError(`Could not delete “${item.title}”: ${errorMessage(error)}`);
    }
  }

  return (
    <section>
      <h1>Items</h1>
      <ItemForm submitLabel="Add item" onSubmit={handleCreate} resetOnSuccess />
      {actionError ? (
        <p role="alert" style={{ color: "#b42318" }}>
          {actionError}
        </p>
      ) : null}
      {list.status === "loading" ? (
        <p role="status">Loading items…</p>
      ) : list.status === "error" ? (
        <div role="alert" style={{ color: "#b42318" }}>
          <p>Could not load the items: {list.message}</p>
          <button type="button" onClick={retry}>
            Try again
          </button>
        </div>
      ) : list.items.length === 0 ? (
        <p>No items yet: add the first one above.</p>
      ) : (
        <ul aria-label="Items" style={{ listStyle: "none", padding: 0 }}>
          {list.items.map((item) => (
            <li key={item.id} style={{ display: "flex", gap: "0.75rem", alignItems: "center", padding: "0.25rem 0" }}>
              <Link href={`/items/${item.id}`}>{item.title}</Link>
              {item.done ? <span style={{ color: "#027a48", fontSize: "0.85rem" }}>done</span> : null}
              <button type="button" onClick={() => void handleDelete(item)} aria-label={`Delete ${item.title}`}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
