import { cookies, headers } from "next/headers";
import { LOCALE_COOKIE, isLocale, parseAcceptLanguage, pickLocale, type Locale } from "@/client/messages";

/** The cookie remembers an explicit choice; otherwise the browser's language decides. */
export async function serverLocale(): Promise<Locale> {
  const chosen = (await cookies()).get(LOCALE_COOKIE)?.value;
  return isLocale(chosen) ? chosen : pickLocale(parseAcceptLanguage((await headers()).get("accept-language")));
}
