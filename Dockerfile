# syntax=docker/dockerfile:1
# hatago as a container (docs/deploy.md). Three stages: build (TypeScript, then the bundled command),
# runtime dependencies only, and the final image: distroless Node.js, no
# shell, no package manager, no compiler, running as the non-root user
# 65532. The shipped policy bundle (policies/bundle/hatago.tar.gz) is inside.
#
#   docker build -t hatago .
#   docker run --rm -p 3000:3000 -v "$PWD/hatago.config.json:/etc/hatago/hatago.config.json:ro" hatago
#
# The config must bind 0.0.0.0 (http.host) and, off loopback, turn
# authentication on; the working folder /var/lib/hatago holds logs/ (the
# audit trail) and data/ (pins): mount a volume there.

ARG NODE_VERSION=20.19.5

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY schema ./schema
COPY scripts/bundle.mjs ./scripts/bundle.mjs
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY schema ./schema
COPY policies/bundle ./policies/bundle
COPY deploy/container/hatago.config.json /etc/hatago/hatago.config.json
USER 65532:65532
WORKDIR /var/lib/hatago
EXPOSE 3000
# Liveness only (GET /health); readiness (/health/ready) is the orchestrator's business.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "fetch('http://127.0.0.1:'+(process.env.HATAGO_PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains (http.drainTimeoutMs) and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/bin/hatago.js"]
CMD ["serve", "--http", "--config", "/etc/hatago/hatago.config.json"]
