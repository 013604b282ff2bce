#!/bin/sh
# Stand-in for Prisma's Rust schema engine, which cannot be downloaded here. Its mere presence
# stops the CLI from trying; the real work goes through the WASM engine (prisma.config.ts).
echo "Prisma's schema-engine binary is not available offline; prisma.config.ts uses engine: \"js\"." >&2
exit 1
