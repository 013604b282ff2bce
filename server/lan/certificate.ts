/**
 * The self-signed certificate for HTTPS=lan, kept in DATA_DIR/tls so phones that accepted it once
 * are not asked again after a restart. A new one is made when there is none, when it expires
 * within 30 days, or when it does not name every current LAN address (the laptop moved to
 * another Wi-Fi): browsers warn about a self-signed certificate either way, but one that names
 * the address they opened keeps the warning to "not trusted" instead of "wrong host" as well.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";

export interface LanCertificate {
  /** PEM, PKCS#8 private key. */
  key: string;
  /** PEM certificate. */
  cert: string;
  /** SHA-256 fingerprint (AA:BB:…), printed so a careful guest can compare it with the browser's. */
  fingerprint256: string;
  validTo: Date;
  /** Whether this start made it (false: loaded from DATA_DIR). */
  created: boolean;
}

const VALID_DAYS = 365;
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;
const ALWAYS_NAMED = { dns: ["localhost"], ip: ["127.0.0.1"] };

export function certificatePaths(dataDir: string): { key: string; cert: string } {
  const dir = path.join(dataDir, "tls");
  return { key: path.join(dir, "lan-key.pem"), cert: path.join(dir, "lan-cert.pem") };
}

export async function loadOrCreateLanCertificate(options: {
  dataDir: string;
  addresses: readonly string[];
  logger: Logger;
  now?: Date;
}): Promise<LanCertificate> {
  const { dataDir, addresses, logger } = options;
  const now = options.now ?? new Date();
  const paths = certificatePaths(dataDir);
  const kept = await readKept(paths);
  if (kept) {
    const reason = renewalReason(kept.x509, addresses, now);
    if (!reason) return { key: kept.key, cert: kept.cert, fingerprint256: kept.x509.fingerprint256, validTo: new Date(kept.x509.validTo), created: false };
    logger.info({ reason }, "making a new LAN certificate");
  }
  const notAfterDate = new Date(now.getTime() + VALID_DAYS * 24 * 60 * 60 * 1000);
  const ips = [...new Set([...ALWAYS_NAMED.ip, ...addresses])];
  // Loaded only here: most starts reuse the certificate, and without HTTPS=lan nothing needs it.
  const { generate } = await import("selfsigned");
  const made = await generate(
    [
      { name: "commonName", value: "PoseParty on this network" },
      { name: "organizationName", value: "PoseParty" },
    ],
    {
      // P-256: quick to make (no RSA prime search on a slow laptop) and accepted by every current phone.
      keyType: "ec",
      curve: "P-256",
      algorithm: "sha256",
      notBeforeDate: new Date(now.getTime() - 60 * 60 * 1000), // a phone whose clock is a little behind
      notAfterDate,
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        {
          name: "subjectAltName",
          altNames: [...ALWAYS_NAMED.dns.map((value) => ({ type: 2 as const, value })), ...ips.map((ip) => ({ type: 7 as const, ip }))],
        },
      ],
    },
  );
  await mkdir(path.dirname(paths.key), { recursive: true, mode: 0o700 });
  // Written beside and renamed: a crash mid-write never leaves a key that does not match its certificate.
  await writeFile(`${paths.key}.tmp`, made.private, { mode: 0o600 });
  await writeFile(`${paths.cert}.tmp`, made.cert, { mode: 0o644 });
  await rename(`${paths.key}.tmp`, paths.key);
  await rename(`${paths.cert}.tmp`, paths.cert);
  const x509 = new X509Certificate(made.cert);
  logger.info({ file: paths.cert, validTo: x509.validTo, fingerprint256: x509.fingerprint256 }, "made a self-signed LAN certificate");
  return { key: made.private, cert: made.cert, fingerprint256: x509.fingerprint256, validTo: new Date(x509.validTo), created: true };
}

async function readKept(paths: { key: string; cert: string }): Promise<{ key: string; cert: string; x509: X509Certificate } | null> {
  let key: string;
  let cert: string;
  try {
    [key, cert] = await Promise.all([readFile(paths.key, "utf8"), readFile(paths.cert, "utf8")]);
  } catch {
    return null;
  }
  try {
    const x509 = new X509Certificate(cert);
    // A key from another certificate (files copied by hand) would fail every handshake.
    return x509.checkPrivateKey(createPrivateKey(key)) ? { key, cert, x509 } : null;
  } catch {
    return null;
  }
}

/** Why the kept certificate should be replaced, or null when it is still good. */
export function renewalReason(x509: X509Certificate, addresses: readonly string[], now: Date): string | null {
  if (new Date(x509.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS) return "expires within 30 days";
  if (new Date(x509.validFrom).getTime() > now.getTime()) return "not valid yet (the clock moved back)";
  const named = new Set(
    (x509.subjectAltName ?? "")
      .split(", ")
      .filter((entry) => entry.startsWith("IP Address:"))
      .map((entry) => entry.slice("IP Address:".length)),
  );
  const missing = addresses.filter((address) => !named.has(address));
  return missing.length > 0 ? `does not name ${missing.join(", ")}` : null;
}
