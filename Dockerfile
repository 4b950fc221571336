# hashd container: the Node.js service on its embedded PGlite store by default, or PostgreSQL via
# DATABASE_URL. Build: docker build -t hashd .   Run: docker run -p 8080:8080 -e HASHD_API_KEYS=... hashd
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    HASHD_DATA_DIR=/var/lib/hashd

WORKDIR /app
COPY package.json package-lock.json ./
# tsx runs the TypeScript sources directly, so production dependencies are all the image needs.
RUN npm ci --omit=dev && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY drizzle ./drizzle
COPY tsconfig.json ./

RUN mkdir -p /var/lib/hashd && chown node:node /var/lib/hashd
USER node
VOLUME ["/var/lib/hashd"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s --retries=3 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Outside loopback hashd requires HASHD_API_KEYS (or HASHD_ALLOW_INSECURE=1 by name).
CMD ["node", "src/entry/launch.cjs", "src/entry/node.ts"]
