// /api/items/:id: read (GET), replace (PUT) and delete (DELETE, 204); unknown ids are 404,
// invalid bodies 400 with { error }.
import { validateItemInput } from "@/lib/models";
import { deleteItem, getItem, updateItem } from "@/lib/store";

interface Context {
  params: Promise<{ id: string }>;
}

function notFound(id: string): Response {
  return Response.json({ error: `No item with id ${id}` }, { status: 404 });
}

export async function GET(_request: Request, { params }: Context): Promise<Response> {
  const { id } = await params;
  const item = await getItem(id);
  return item ? Response.json(item) : notFound(id);
}

export async function PUT(request: Request, { params }: Context): Promise<Response> {
  const { id } = await params;
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return Response.json({ error: "The body must be valid JSON" }, { status: 400 });
  }
  const checked = validateItemInput(body);
  if (!checked.ok) {
    return Response.json({ error: checked.error }, { status: 400 });
  }
  const item = await updateItem(id, checked.value);
  return item ? Response.json(item) : notFound(id);
}

export async function DELETE(_request: Request, { params }: Context): Promise<Response> {
  const { id } = await params;
  if (!(await deleteItem(id))) {
    return notFound(id);
  }
  return new Response(null, { status: 204 });
}
