# PoseParty: one Node process serving pages, /api, /vision and Socket.IO on $PORT.
# Build: docker build -t poseparty .      Run: see deploy/compose.yaml and docs/hosting.md.
# (Written and reviewed, but not built here: the development machine has no container engine.)

# ---- build: install everything, generate the install-time assets, build Next.js
FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1
# The npm major used in development: with it package.json "allowScripts" keeps Prisma's own install
# scripts off (they would download engines; the client is generated offline by our postinstall).
RUN npm install -g npm@11.19.1
# The postinstall (prisma generate, vision assets, sounds) imports code from core/, client/ and
# server/, so the whole source goes in before npm ci.
COPY . .
RUN npm ci --no-audit --no-fund
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: the pruned tree, as an unprivileged user
FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000 HOST=0.0.0.0 DATA_DIR=/data
COPY --from=build --chown=node:node /app /app
# DATA_DIR holds the embedded database when DATABASE_URL is unset.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The server bundle `npm run build` made (as `npm run serve` runs it; scripts/build-server.ts).
# exec form: SIGTERM reaches the server, which drains before exiting. No --enable-source-maps:
# it makes Node parse every loaded file's source map, Next.js's 4 MB runtime map included (~40
# MiB resident); stack traces name the bundle's lines (unminified, same function names).
CMD ["node", "dist/server/main.mjs"]
