# hashd container: the Node.js service on its embedded PGlite store by default, or PostgreSQL via
# DATABASE_URL.
#   Build:    docker build -t hashd .
#   Run:      docker run -p 8080:8080 -v hashd-data:/var/lib/hashd -e HASHD_API_KEYS=... hashd
#   Migrate:  docker run --rm -v hashd-data:/var/lib/hashd [-e DATABASE_URL=...] hashd node bin/hashd.cjs migrate
# The service applies migrations itself at start; the one-shot command is for deployments that
# migrate before rolling out replicas. test/ship/docker.test.ts performs these steps without Docker.

# Build stage: every dependency (esbuild, TypeScript), then the bundle in dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies only (the native @node-rs binaries for this platform are
# installed here, on the target, never copied from another one), the bundle, the migrations.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    HASHD_DATA_DIR=/var/lib/hashd
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY drizzle ./drizzle
RUN mkdir -p /var/lib/hashd && chown node:node /var/lib/hashd
USER node
VOLUME ["/var/lib/hashd"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s --start-period=20s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Outside loopback hashd requires HASHD_API_KEYS (or HASHD_ALLOW_INSECURE=1 by name).
CMD ["node", "dist/entry/launch.cjs", "dist/entry/node.js"]
