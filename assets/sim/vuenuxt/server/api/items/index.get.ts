// GET /api/items: every item.
export default defineEventHandler(() => listItems());
