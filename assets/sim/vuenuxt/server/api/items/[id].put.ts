// PUT /api/items/:id: replaces an item's fields; 400 when the body is invalid, 404 when
// there is no such item.
import { validateItemInput } from "#shared/types/item";

export default defineEventHandler(async (event) => {
  const id = getRouterParam(event, "id") ?? "";
  const checked = validateItemInput(await readBody(event).catch(() => null));
  if (!checked.ok) {
    throw createError({ statusCode: 400, statusMessage: checked.error });
  }
  const item = await updateItem(id, checked.value);
  if (!item) {
    throw createError({ statusCode: 404, statusMessage: `No item with id ${id}` });
  }
  return item;
});
