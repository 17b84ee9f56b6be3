// /api/items: the list (GET) and creation (POST, 201; 400 with { error } when invalid).
import { validateItemInput } from "@/lib/models";
import { createItem, listItems } from "@/lib/store";

export async function GET(): Promise<Response> {
  return Response.json(await listItems());
}

export async function POST(request: Request): Promise<Response> {
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
  return Response.json(await createItem(checked.value), { status: 201 });
}
