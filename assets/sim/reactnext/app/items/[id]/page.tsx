"use client";

// One item: its details in an edit form, saved with PUT, and a delete button that goes
// back to the list; loading, not-found and error states.
import Link from "next/link";
import { useRouter } from "next/navigation";
import { use, useEffect, useState } from "react";

import ItemForm from "@/components/item-form";
import { ApiError, deleteItem, errorMessage, getItem, updateItem } from "@/lib/api";
import type { Item, ItemInput } from "@/lib/models";

type ItemState =
  | { status: "loading" }
  | { status: "missing" }
  | { status: "error"; message: string }
  | { status: "ready"; item: Item };

export default function ItemPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const router = useRouter();
  const [state, setState] = useState<ItemState>({ status: "loading" });
  const [saved, setSaved] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);

  useEffect(() => {
    let active = true;
    getItem(id).then(
      (item) => active && setState({ status: "ready", item }),
      (error: unknown) =>
        active &&
        setState(
          error instanceof ApiError && error.status === 404
            ? { status: "missing" }
            : { status: "error", message: errorMessage(error) },
        ),
    );
    return () => {
      active = false;
    };
  }, [id]);

  async function handleSave(input: ItemInput): Promise<void> {
    setSaved(false);
    const item = await updateItem(id, input);
    setState({ status: "ready", item });
    setSaved(true);
  }

  async function handleDelete(): Promise<void> {
    setActionError(null);
    try {
      await deleteItem(id);
      router.push("/items");
    } catch (error) {
      setActionError(errorMessage(error));
    }
  }

  return (
    <section>
      <p>
        <Link href="/items">← All items</Link>
      </p>
      {state.status === "loading" ? (
        <p role="status">Loading the item…</p>
      ) : state.status === "missing" ? (
        <p role="alert">This item does not exist.</p>
      ) : state.status === "error" ? (
        <p role="alert">Could not load the item: {state.message}</p>
      ) : (
        <>
          <h1>{state.item.title}</h1>
          <p>Created {new Date(state.item.createdAt).toLocaleString()}</p>
          <ItemForm key={state.item.updatedAt} initial={state.item} submitLabel="Save changes" onSubmit={handleSave} />
          {saved ? <p role="status">Saved.</p> : null}
          {actionError ? <p role="alert">{actionError}</p> : null}
          <button type="button" onClick={() => void handleDelete()}>
            Delete this item
          </button>
        </>
      )}
    </section>
  );
}
