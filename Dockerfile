# kraul's one image: every role (frontier, strategy, crawler) and the CLI, chosen by the
# command (`docker run kraul crawler`, `docker run kraul job list`). Node 24 runs the
# TypeScript sources directly (type stripping), so there is no build step: the first stage
# installs the production dependencies, the second adds the sources and runs as `node`.
#
# NODE_IMAGE: any Node 24 image on Debian with a `node` user (uid 1000), as the official
# ones have; tests point it at a locally built stand-in.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Manifests only, so the dependency layer is rebuilt only when they change. Every
# workspace must be listed (a test checks it against the folders).
COPY package.json package-lock.json .npmrc ./
COPY packages/bus/package.json packages/bus/
COPY packages/config/package.json packages/config/
COPY packages/crawl/package.json packages/crawl/
COPY packages/extract/package.json packages/extract/
COPY packages/fetch/package.json packages/fetch/
COPY packages/framework/package.json packages/framework/
COPY packages/frontier/package.json packages/frontier/
COPY packages/protocol/package.json packages/protocol/
COPY packages/runtime/package.json packages/runtime/
COPY packages/store/package.json packages/store/
COPY packages/strategy/package.json packages/strategy/
COPY packages/telemetry/package.json packages/telemetry/
COPY packages/testkit/package.json packages/testkit/
COPY packages/url/package.json packages/url/
COPY services/cli/package.json services/cli/
COPY services/crawler/package.json services/crawler/
COPY services/frontier/package.json services/frontier/
COPY services/strategy/package.json services/strategy/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
# The compile cache, filled at build time below, saves a third of the start-up CPU of
# every container (and of every healthcheck that runs node).
ENV NODE_ENV=production \
    NODE_COMPILE_CACHE=/app/.node-compile-cache \
    KRAUL_LOG_FORMAT=json
WORKDIR /app
# Manifests and node_modules (workspace links and nested folders included), then sources.
COPY --from=deps /app /app
COPY packages ./packages
COPY services ./services
# The frontier's state folder exists and belongs to `node`, so a named volume mounted
# there starts with that owner.
RUN mkdir -p /var/lib/kraul/frontier && chown node:node /var/lib/kraul/frontier \
 && ln -s /app/services/cli/bin/kraul.ts /usr/local/bin/kraul \
 && node /app/services/cli/bin/kraul.ts --version \
 && node /app/services/cli/bin/kraul.ts config >/dev/null \
 && chown -R node:node /app/.node-compile-cache
USER node
VOLUME ["/var/lib/kraul/frontier"]
ENTRYPOINT ["node", "/app/services/cli/bin/kraul.ts"]
CMD ["--help"]
