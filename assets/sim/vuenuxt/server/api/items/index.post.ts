// POST /api/items: creates an item; 400 with the problem when the body is invalid.
import { validateItemInput } from "#shared/types/item";

export default defineEventHandler(async (event) => {
  const checked = validateItemInput(await readBody(event).catch(() => null));
  if (!checked.ok) {
    throw createError({ statusCode: 400, statusMessage: checked.error });
  }
  setResponseStatus(event, 201);
  return createItem(checked.value);
});
