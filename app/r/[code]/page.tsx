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
  const services = getAppServices();
  return (
    <RoomScreen
      code={decodeURIComponent(code)}
      modelBaseUrl={services.modelBaseUrl ?? ""}
      testPlaylist={testPlaylist.success ? testPlaylist.data : null}
      // Fresh per page load: TURN credentials minted from TURN_SECRET expire.
      call={{ provider: services.call.provider, iceServers: services.call.iceServers() }}
    />
  );
}
