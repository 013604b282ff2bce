import { getAppServices } from "@/server/services";

export const dynamic = "force-dynamic";

/**
 * One finished match as JSON, for the room's history sheet: players look at it without leaving
 * the room (navigating away dropped them from it). Unknown or malformed ids: 404.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await params;
  const match = await getAppServices().store.getMatch(id);
  if (!match) return Response.json({ error: "not_found" }, { status: 404, headers: { "Cache-Control": "no-store" } });
  return Response.json(match, { headers: { "Cache-Control": "no-store" } });
}
