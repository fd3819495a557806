# syntax=docker/dockerfile:1
# Container for `sip-dispatch-sync watch`: build with the dev toolchain, run with production
# dependencies only, as a non-root user, on a read-only root filesystem (config/kubernetes/).
ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: TypeScript -> dist/ ----------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: "prepare" builds, and the sources are not copied yet; the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY schemas ./schemas
COPY src ./src
RUN npm run build

# --- runtime ---------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency needs an install script; skipping them keeps the runtime install inert.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# All of dist/: the entry is dist/src/bin.cjs (a launcher of the bundled main.js); JSON the build
# emits beside it lives under dist/ too.
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
RUN ln -s /app/dist/src/bin.cjs /usr/local/bin/sip-dispatch-sync
# V8 heap sizing; bench/watch.bench.mjs and bench/scale.bench.mjs run the CLI with this same ENV.
# A 1 MB semi-space instead of Node's up to 16 MB keeps a mostly idle daemon small (a grown young
# generation alone holds 32 MB). The old-space cap is sized for 100,000 realistic rules (issue 19):
# resident memory grows by about 6 KB a rule (plan and export peak at about 650 MB at 100,000
# rules, an idle watch holds about 700 MB, up to about 950 MB after edits), and 256 MB aborted
# watch at 50,000 rules and plan at 100,000 with a V8 out-of-memory error. V8 only grows the heap
# towards the cap when the live data needs it: with 1,000 rules the daemon stays under 80 MB.
# --expose-gc: `watch` runs one full, compacting garbage collection right after each reconcile (and only then),
# so that what one reconcile allocated (the file's text and parse, the list, the plan) is given
# back instead of staying resident until V8 needs room: at 100,000 rules resident memory then
# stays flat over edits instead of growing by about 100 MB an edit (README, "Running in Docker").
# Set after `npm ci`, which runs with Node's defaults.
ENV NODE_OPTIONS="--max-semi-space-size=1 --max-old-space-size=1536 --expose-gc"

# The image's `node` user, by number so that Kubernetes `runAsNonRoot` can verify it.
USER 1000:1000
EXPOSE 9464
# Slim images have no curl or wget; Node's fetch does the probe. Set HEALTHCHECK_URL when
# --listen moves the port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.HEALTHCHECK_URL||'http://127.0.0.1:9464/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node runs as PID 1 without an init: `watch` handles SIGTERM/SIGINT itself and spawns no children.
ENTRYPOINT ["node", "/app/dist/src/bin.cjs"]
CMD ["watch", "-c", "/config/dispatch-rules.yaml"]
