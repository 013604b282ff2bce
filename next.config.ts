import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The custom server in server/ owns compression for its own routes; Next compresses pages.
  compress: true,
};

export default nextConfig;
