"use client";

// The form that creates or edits an item: validates on the client with the same rules as
// the API, and hands the clean input to `onSubmit`, showing its error if it throws.
import { useState, type FormEvent } from "react";

import { errorMessage } from "@/lib/api";
import { TITLE_MAX_LENGTH, validateItemInput, type ItemInput } from "@/lib/models";

export interface ItemFormProps {
  initial?: Partial<ItemInput>;
  submitLabel?: string;
  /** Saves the input; the form shows the error it throws. */
  onSubmit: (input: ItemInput) => Promise<void> | void;
  /** Empty the fields after a successful submit (for a create form). */
  resetOnSuccess?: boolean;
}

export default function ItemForm({ initial = {}, submitLabel = "Save", onSubmit, resetOnSuccess = false }: ItemFormProps) {
  const [title, setTitle] = useState(initial.title ?? "");
  const [description, setDescription] = useState(initial.description ?? "");
  const [done, setDone] = useState(initial.done ?? false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function handleSubmit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const checked = validateItemInput({ title, description, done });
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    setError(null);
    setBusy(true);
    try {
      await onSubmit(checked.value);
      if (resetOnSuccess) {
        setTitle("");
        setDescription("");
        setDone(false);
      }
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      aria-label={submitLabel}
      noValidate
      onSubmit={handleSubmit}
      style={{ display: "flex", flexDirection: "column", gap: "0.75rem", maxWidth: "32rem" }}
    >
      <label style={{ display: "flex", flexDirection: "column", gap: "0.25rem" }}>
        Title
        <input
          name="title"
          type="text"
          required
          maxLength={TITLE_MAX_LENGTH}
          value={title}
          onChange={(event) => setTitle(event.target.value)}
        />
      </label>
      <label style={{ display: "flex", flexDirection: "column", gap: "0.25rem" }}>
        Description
        <textarea
          name="description"
          rows={3}
          value={description}
          onChange={(event) => setDescription(event.target.value)}
        />
      </label>
      <label>
        <input name="done" type="checkbox" checked={done} onChange={(event) => setDone(event.target.checked)} /> Done
      </label>
      {error ? (
        <p role="alert" style={{ color: "#b42318", margin: 0 }}>
          {error}
        </p>
      ) : null}
      <button type="submit" disabled={busy} style={{ alignSelf: "flex-start" }}>
        {busy ? "Saving…" : submitLabel}
      </button>
    </form>
  );
}
