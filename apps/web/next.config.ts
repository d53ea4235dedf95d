import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  devIndicators: false,
  // Workspace packages are TypeScript source (the browser-safe @gdc/cartography/palette).
  transpilePackages: ["@gdc/cartography"],
  // Type errors are caught by `npm run typecheck -w @gdc/web` (tests run it); `gdc start` builds
  // on a fresh machine and should not spend its first minute type-checking.
  typescript: { ignoreBuildErrors: true },
};

export default config;
