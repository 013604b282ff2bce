/**
 * What HTTPS=lan prints in the terminal once the server is ready: the addresses phones open and
 * a QR code of the first, so the host can let friends scan the laptop's screen.
 */

export async function lanBanner(options: { urls: readonly string[]; fingerprint256: string }): Promise<string> {
  const { urls, fingerprint256 } = options;
  const lines = ["", "PoseParty is open on your local network (HTTPS=lan)."];
  const first = urls[0];
  if (first === undefined) {
    lines.push(
      "  Phones cannot reach it yet: this computer has no network address (connect it to the Wi-Fi your",
      "  friends use), or HOST keeps the server to this computer (leave HOST unset). Then restart.",
      "  Only this computer can play meanwhile: https://localhost (or http://localhost) on this port.",
      "",
    );
    return lines.join("\n");
  }
  lines.push("Phones on the same Wi-Fi open:");
  for (const url of urls) lines.push(`  ${url}`);
  lines.push(
    "",
    "The first visit warns that the connection is not private: this computer made its own certificate.",
    "Tap Advanced (Show details), then Proceed / Visit this website. The certificate's SHA-256 fingerprint:",
    `  ${fingerprint256}`,
    "",
    `Scan to open ${first}:`,
  );
  // "small" draws two rows per character: a phone still reads it from a laptop screen.
  // Loaded only here (HTTPS=lan): the default server never draws a QR code.
  const { default: QRCode } = await import("qrcode");
  const qr = await QRCode.toString(first, { type: "terminal", small: true, errorCorrectionLevel: "M" });
  return `${lines.join("\n")}\n${qr}\n`;
}
