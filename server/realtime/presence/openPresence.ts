/** Picks the presence from config: Redis when REDIS_URL is set, else this process alone. */
import type { Logger } from "pino";
import type { AppConfig } from "../../config";
import { LocalPresence } from "./localPresence";
import type { Presence } from "./presence";
import { RedisPresence } from "./redisPresence";

export async function openPresence(config: Pick<AppConfig, "REDIS_URL">, logger: Logger): Promise<Presence> {
  if (!config.REDIS_URL) return new LocalPresence();
  const presence = await RedisPresence.connect(config.REDIS_URL, logger);
  logger.info({ serverId: presence.serverId }, "scale-out: rooms shared through Redis");
  return presence;
}
