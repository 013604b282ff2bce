import { testPlaylistIdSchema } from "@/core/playlist";
import { RoomScreen } from "@/components/RoomScreen";
import { getAppServices } from "@/server/services";

export default async function RoomPage({
  params,
  searchParams,
}: {
  params: Promise<{ code: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { code } = await params;
  const testPlaylist = testPlaylistIdSchema.safeParse((await searchParams).testPlaylist);
  return (
    <RoomScreen
      code={decodeURIComponent(code)}
      modelBaseUrl={getAppServices().modelBaseUrl ?? ""}
      testPlaylist={testPlaylist.success ? testPlaylist.data : null}
    />
  );
}
