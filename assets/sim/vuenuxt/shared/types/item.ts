// The main resource, shared by the Vue app and the Nitro server, with its validation.

/** A stored item, as the API sends it. */
export interface Item {
  id: string;
  title: string;
  description: string;
  done: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What a client sends to create or replace an item. */
export interface ItemInput {
  title: string;
  description: string;
  done: boolean;
}

export const TITLE_MAX_LENGTH = 120;
export const DESCRIPTION_MAX_LENGTH = 2000;

/** The outcome of validating a request body: the clean input, or the first problem found. */
export type Validated = { ok: true; value: ItemInput } | { ok: false; error: string };

/** Checks an untrusted body (from a form or a request) and trims its text fields. */
export function validateItemInput(body: unknown): Validated {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    return { ok: false, error: "The body must be a JSON object" };
  }
  const { title, description, done } = body as Record<string, unknown>;
  if (typeof title !== "string" || title.trim() === "") {
    return { ok: false, error: "Title is required" };
  }
  if (title.trim().length > TITLE_MAX_LENGTH) {
    return { ok: false, error: `Title must be at most ${TITLE_MAX_LENGTH} characters` };
  }
  if (description !== undefined && typeof description !== "string") {
    return { ok: false, error: "Description must be text" };
  }
  if (typeof description === "string" && description.length > DESCRIPTION_MAX_LENGTH) {
    return { ok: false, error: `Description must be at most ${DESCRIPTION_MAX_LENGTH} characters` };
  }
  if (done !== undefined && typeof done !== "boolean") {
    return { ok: false, error: "Done must be true or false" };
  }
  return {
    ok: true,
    value: { title: title.trim(), description: (description ?? "").trim(), done: done ?? false },
  };
}
