import { describe, expect, it } from "vitest";
import { getScriptNonceFromHeader } from "next/dist/server/app-render/get-script-nonce-from-header";
import { buildSecurityHeaders, contentSecurityPolicy, createNonce } from "@/server/http/securityHeaders";

/** "a b; c d" → { a: ["b"], c: ["d"] } */
function directives(policy: string): Record<string, string[]> {
  return Object.fromEntries(
    policy.split(";").map((part) => {
      const [name = "", ...sources] = part.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

const production = { development: false };

describe("security headers", () => {
  it("lock the page down: no framing, no plugins, no foreign base or form targets", () => {
    const csp = directives(contentSecurityPolicy(production, { nonce: "abc123==", host: "party.example.com" }));
    expect(csp["default-src"]).toEqual(["'self'"]);
    expect(csp["frame-ancestors"]).toEqual(["'none'"]);
    expect(csp["object-src"]).toEqual(["'none'"]);
    expect(csp["base-uri"]).toEqual(["'self'"]);
    expect(csp["form-action"]).toEqual(["'self'"]);
  });

  it("allow scripts by this response's nonce, the WASM runtime and its blob: loader, but no eval in production", () => {
    const csp = directives(contentSecurityPolicy(production, { nonce: "abc123==" }));
    expect(csp["script-src"]).toEqual(expect.arrayContaining(["'nonce-abc123=='", "'strict-dynamic'", "'wasm-unsafe-eval'", "blob:"]));
    expect(csp["script-src"]).not.toContain("'unsafe-eval'");
    expect(csp["script-src"]).not.toContain("'unsafe-inline'");
    expect(csp["worker-src"]).toContain("blob:");
  });

  it("add 'unsafe-eval' in development only (Next's dev runtime needs it)", () => {
    const csp = directives(contentSecurityPolicy({ development: true }, { nonce: "abc123" }));
    expect(csp["script-src"]).toContain("'unsafe-eval'");
  });

  it("let the page connect to itself (HTTP and WebSocket), blob:/data: and nothing else by default", () => {
    const csp = directives(contentSecurityPolicy(production, { nonce: "n0nce", host: "party.example.com:8443" }));
    expect(csp["connect-src"]).toEqual(["'self'", "ws://party.example.com:8443", "wss://party.example.com:8443", "blob:", "data:"]);
  });

  it("add the LiveKit server (WebSocket and HTTPS) and the model host when configured", () => {
    const csp = directives(
      contentSecurityPolicy(
        { development: false, livekitUrl: "wss://lk.example.com:7880/", modelBaseUrl: "https://cdn.example.net/vision/" },
        { nonce: "n0nce", host: "party.example.com" },
      ),
    );
    expect(csp["connect-src"]).toEqual(expect.arrayContaining(["wss://lk.example.com:7880", "https://lk.example.com:7880", "https://cdn.example.net"]));
    expect(csp["connect-src"]?.join(" ")).not.toContain("/vision");
  });

  it("leave out a Host header that would smuggle directives into the policy", () => {
    const policy = contentSecurityPolicy(production, { nonce: "n0nce", host: "evil.example; script-src *" });
    expect(policy).not.toContain("evil");
    expect(directives(policy)["script-src"]).not.toContain("*");
  });

  it("refuse a nonce that is not base64", () => {
    expect(() => contentSecurityPolicy(production, { nonce: "x' 'unsafe-inline" })).toThrow();
  });

  it("use a nonce Next.js itself extracts from the policy (so its scripts get it)", () => {
    const nonce = createNonce();
    expect(nonce).not.toBe(createNonce());
    expect(getScriptNonceFromHeader(contentSecurityPolicy(production, { nonce }))).toBe(nonce);
  });

  it("limit camera and microphone to the app and refuse features it never uses", () => {
    const headers = buildSecurityHeaders(production, { nonce: "n0nce" });
    const permissions = headers["Permissions-Policy"] ?? "";
    expect(permissions).toContain("camera=(self)");
    expect(permissions).toContain("microphone=(self)");
    expect(permissions).toContain("geolocation=()");
    expect(headers["X-Content-Type-Options"]).toBe("nosniff");
    expect(headers["Referrer-Policy"]).toBe("strict-origin-when-cross-origin");
  });
});
