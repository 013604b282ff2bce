import { expect, test, type Page } from "@playwright/test";

/**
 * The pages work under the Content-Security-Policy the server sends: every script Next renders
 * carries the response's nonce, the app hydrates (a room can be created) and the browser reports
 * no violation. The lobby and game specs cover the vision runtime (blob: script, WASM) under it.
 */

interface Violation {
  directive: string;
  blocked: string;
}

async function watchViolations(page: Page): Promise<{ violations: () => Promise<Violation[]>; consoleErrors: string[] }> {
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) consoleErrors.push(message.text());
  });
  // Installed before any page script runs, so a violation during hydration is caught too.
  await page.addInitScript(() => {
    const found: { directive: string; blocked: string }[] = [];
    (window as unknown as { __cspViolations: typeof found }).__cspViolations = found;
    document.addEventListener("securitypolicyviolation", (event) => {
      found.push({ directive: event.effectiveDirective, blocked: event.blockedURI });
    });
  });
  return {
    consoleErrors,
    violations: () => page.evaluate(() => (window as unknown as { __cspViolations?: Violation[] }).__cspViolations ?? []),
  };
}

test("pages carry the security headers, their scripts the nonce, and nothing is blocked", async ({ page }) => {
  const watch = await watchViolations(page);
  const response = await page.goto("/");
  expect(response).not.toBeNull();
  const headers = response!.headers();
  const csp = headers["content-security-policy"] ?? "";
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(headers["permissions-policy"]).toContain("camera=(self)");
  expect(headers["permissions-policy"]).toContain("microphone=(self)");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  expect(nonce, "the policy names a nonce").toBeTruthy();

  // Every script element Next rendered carries this response's nonce (nonce is hidden from
  // getAttribute after parsing, so read the property).
  const scriptNonces = await page.locator("script").evaluateAll((scripts) => scripts.map((script) => (script as HTMLScriptElement).nonce));
  expect(scriptNonces.length).toBeGreaterThan(0);
  expect(new Set(scriptNonces)).toEqual(new Set([nonce]));

  // A fresh nonce for every response.
  const again = await page.request.get("/");
  expect(/'nonce-([^']+)'/.exec(again.headers()["content-security-policy"] ?? "")?.[1]).not.toBe(nonce);

  // Hydrated under the policy: the form works and the room page (socket, QR code) renders.
  await page.getByTestId("nickname-input").fill("Mina");
  await page.getByTestId("create-room").click();
  await expect(page).toHaveURL(/\/r\/[2-9A-Z]{7}$/);
  await expect(page.getByTestId("qr-code")).toBeVisible();
  await expect(page.getByTestId("member-name")).toHaveText(["Mina"]);

  await page.goto("/history");
  await expect(page.locator("h1")).toBeVisible();

  expect(await watch.violations()).toEqual([]);
  expect(watch.consoleErrors).toEqual([]);
});
