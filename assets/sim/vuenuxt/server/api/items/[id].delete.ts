// DELETE /api/items/:id: deletes an item (204), or 404.
export default defineEventHandler(async (event) => {
  const id = getRouterParam(event, "id") ?? "";
  if (!(await deleteItem(id))) {
    throw createError({ statusCode: 404, statusMessage: `No item with id ${id}` });
  }
  return sendNoContent(event, 204);
});
