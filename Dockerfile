# syntax=docker/dockerfile:1
#
# Evara backend image: one image, several processes (chosen by the command).
#   API (default):   node dist/api/main.js            (listens on PORT, default 3000)
#   worker:          node --max-old-space-size=192 dist/workers/main.js  (WORKER_QUEUES=all or a list)
#   migrations:      node dist/shared/db/migrate.js latest
#   simulator (dev): node dist/simulator/main.js      (SIMULATOR_PORT, default 3100)
#
# Render runs this app on its native Node runtime (see render.yaml); this image is for
# docker-compose.yml and for any container platform.
#
# No HEALTHCHECK here on purpose: the same image runs the worker, which serves no HTTP, so an
# image-level check against /readyz would mark every worker container unhealthy. The API's
# check lives in docker-compose.yml.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: every dependency (dev included), needed by tsc ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --include=dev --no-audit --no-fund

# ---- build: compile TypeScript to dist/ ----
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: runtime dependencies only ----
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Files stay owned by root (read-only for the app user); the process runs as `node` (uid 1000).
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Exec form: node is PID 1 and receives SIGTERM directly (graceful shutdown in src/shared/shutdown.ts).
CMD ["node", "dist/api/main.js"]
