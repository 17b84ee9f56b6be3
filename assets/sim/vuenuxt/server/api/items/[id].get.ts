// GET /api/items/:id: one item, or 404.
export default defineEventHandler(async (event) => {
  const id = getRouterParam(event, "id") ?? "";
  const item = await findItem(id);
  if (!item) {
    throw createError({ statusCode: 404, statusMessage: `No item with id ${id}` });
  }
  return item;
});
