# One image for every node of the shop: what a container runs is chosen at run time with
# SERVICES (see README "Configuration" and docker-compose.yml).
#
#   docker build -t moleculer-shop .
#   docker run --rm -p 127.0.0.1:3000:3000 moleculer-shop          # embedded single-process shop
#
# TypeScript runs through tsx at run time (no compile step), and tsx is a production dependency,
# so `npm ci --omit=dev` is all the runtime needs.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------- dependencies
# Build tools only live in this stage: sqlite3 is a native addon and is compiled from source
# when no prebuilt binary matches the Node ABI.
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
	&& apt-get install -y --no-install-recommends python3 make g++ \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# The require() fails the build here, not the first embedded-mode start, if the sqlite3 addon
# was neither downloaded nor compiled.
RUN npm ci --omit=dev --no-audit --no-fund \
	&& node -e "require('sqlite3')" \
	&& npm cache clean --force

# ---------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime
# Inside a container the loopback defaults would make the gateway and /metrics unreachable.
ENV NODE_ENV=production \
	HOST=0.0.0.0 \
	METRICS_HOST=0.0.0.0 \
	DATA_DIR=/app/data
WORKDIR /app
# Code and dependencies stay owned by root (read-only for the app user); only DATA_DIR is
# writable (embedded SQLite when DATABASE_URL is not set).
COPY --from=deps /app/node_modules ./node_modules
COPY . .
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000 3030
# No HEALTHCHECK here: only nodes running the gateway serve HTTP. docker-compose.yml defines
# per-service health checks (gateway: /api/health, other nodes: /metrics).
CMD ["node", "--import", "tsx", "bin/shop-node.ts"]
