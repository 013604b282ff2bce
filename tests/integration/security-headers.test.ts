import { describe, expect, it } from "vitest";
import { useTestServer } from "./support";

// The HTML pages and their nonce are checked in Chromium (e2e/security-headers.spec.ts); here the
// server's own routes, on the real HTTP server without Next.
describe("security headers on served responses", () => {
  const server = useTestServer({ LIVEKIT_URL: "wss://lk.example.com", LIVEKIT_API_KEY: "key", LIVEKIT_API_SECRET: "secret" });

  it("every response carries the policy, with a fresh nonce each time", async () => {
    const first = await fetch(`${server().url}/api/health`);
    const second = await fetch(`${server().url}/no-such-page`);
    expect(second.status).toBe(404);
    for (const response of [first, second]) {
      expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(response.headers.get("permissions-policy")).toContain("camera=(self)");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    }
    const nonceOf = (response: Response) => /'nonce-([^']+)'/.exec(response.headers.get("content-security-policy") ?? "")?.[1];
    expect(nonceOf(first)).toBeTruthy();
    expect(nonceOf(first)).not.toBe(nonceOf(second));
  });

  it("lets the page reach its own socket and the configured LiveKit server, and ignores a client's policy", async () => {
    const response = await fetch(`${server().url}/api/health`, {
      headers: { "content-security-policy": "script-src 'nonce-chosenbyclient' *" },
    });
    const policy = response.headers.get("content-security-policy") ?? "";
    const host = new URL(server().url).host;
    expect(policy).toContain(`ws://${host}`);
    expect(policy).toContain("wss://lk.example.com");
    expect(policy).not.toContain("chosenbyclient");
  });
});
