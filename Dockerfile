# syntax=docker/dockerfile:1
# Multi-stage build: compile TypeScript with dev dependencies, ship only runtime dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# patches/: fixes to kafkajs' produce path (docs/kafka-patches.md), applied by npm ci's postinstall.
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY connectors ./connectors
COPY schemas ./schemas
COPY bin ./bin
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# src/ops/node-options.ts: a smaller young generation, ~30 MB less RSS for the same CPU.
ENV NODE_OPTIONS=--max-semi-space-size=4
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/bin ./bin
COPY --from=build --chown=node:node /app/schemas ./schemas
COPY --from=build --chown=node:node /app/package.json ./package.json
USER node
# /healthz, /readyz, /metrics when the config sets http.port (the Kubernetes manifests use 8080).
EXPOSE 8080
ENTRYPOINT ["node", "/app/bin/logtap.js"]
CMD ["--help"]
