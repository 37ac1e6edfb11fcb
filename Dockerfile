# The worker and ingest bridge image, on the current Node.js LTS. The code supports Node >= 22 (package.json
# engines; scripts/test.sh runs the test suite under .node-floor's 22.x) and the image runs the LTS, the version
# scripts/test.sh runs the test suite under a second time.
# NODE_VERSION's default must equal .node-lts, the single source of the LTS version (test/deploy/dockerfile.test.ts
# checks this file statically: no Docker engine in CI).
# Debian slim, not Alpine: @temporalio/core-bridge ships native builds for glibc only.
ARG NODE_VERSION=26.12.1

FROM node:${NODE_VERSION}-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Compile, bundle the workflow code once here (webpack) instead of at every worker start, then drop dev dependencies.
RUN npm run build \
  && npm run bundle:workflows \
  && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-trixie-slim
ARG NODE_VERSION
LABEL org.opencontainers.image.title="remediator" \
  org.opencontainers.image.description="Durable auto-remediation for AWS on Temporal: the worker and the ingest bridge." \
  org.opencontainers.image.licenses="Apache-2.0" \
  org.opencontainers.image.base.name="docker.io/library/node:${NODE_VERSION}-trixie-slim"
WORKDIR /app
# The bundle written by `npm run bundle:workflows` in the build stage; the worker loads it instead of bundling.
# NODE_PATH: user playbook modules mounted anywhere (the policy's playbookModules) resolve zod and the AWS SDK here.
# NODE_OPTIONS: each V8 heap (the worker's main thread and its workflow thread) at most 192 MB, so garbage is collected
# long before it fills the task (docs/operations.md, Sizing); raise it with WORKER_MAX_CACHED_WORKFLOWS.
ENV NODE_ENV=production \
  WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
  NODE_PATH=/app/node_modules \
  NODE_OPTIONS=--max-old-space-size=192
# Owned by root and read-only to the user the process runs as.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The base image's unprivileged `node` user, by number so that runAsNonRoot can verify it.
USER 1000:1000
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["worker"]
