import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { I18nProvider } from "@/client/i18n";
import { MotionPreference } from "@/components/MotionPreference";
import { SecureContextGate } from "@/components/SecureContextGate";
import { lanPageSettings } from "@/server/services";
import { serverLocale } from "./serverLocale";
import "./globals.css";

export const metadata: Metadata = {
  title: "PoseParty",
  description: "A motion party game: match the pose with your friends on a video call.",
  applicationName: "PoseParty",
  appleWebApp: { capable: true, title: "PoseParty", statusBarStyle: "black-translucent" },
  icons: { icon: "/icons/icon.svg", apple: "/icons/icon-192.png" },
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  viewportFit: "cover",
  themeColor: "#1b1033",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const locale = await serverLocale();
  return (
    <html lang={locale}>
      <body>
        <MotionPreference />
        <I18nProvider initialLocale={locale}>
          <SecureContextGate lan={lanPageSettings()}>{children}</SecureContextGate>
        </I18nProvider>
      </body>
    </html>
  );
}
