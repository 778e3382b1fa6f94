# syntax=docker/dockerfile:1
# diffuse-bot images (see docs/scaling.md and deploy/compose.yaml):
#   target `app`        the bot (`node dist/src/main.js`, what `npm start` runs): chat adapters, and with REDIS_URL the scale-out front-end;
#                       CPU inference when it runs jobs itself. Debian 12 + Node 22.
#   target `gpu-worker` a scale-out worker (`node dist/src/cluster/worker-main.js`) with onnxruntime-node's CUDA 12
#                       provider (needs the NVIDIA container toolkit and DEVICE=cuda).
# Build: docker build --target app -t diffuse-bot .   |   docker build --target gpu-worker -t diffuse-worker .

ARG NODE_IMAGE=node:22-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04

FROM ${NODE_IMAGE} AS app
WORKDIR /app
# .npmrc keeps onnxruntime-node's install script from downloading CUDA libraries (the CPU build is
# in the package). Install scripts wait until the sources are there: better-sqlite3's build, then
# the project's own build (prepare: src/ to dist/).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3 --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs --force \
 && useradd --system --home /app diffuse && mkdir -p /app/data && chown -R diffuse: /app/data
USER diffuse
ENV DATA_DIR=/app/data NODE_ENV=production
# Playground and Slack's HTTP receiver are for the host to publish; metrics on 9464.
EXPOSE 8080 3000 9464
# node is PID 1: docker stop's SIGTERM reaches the bot itself, which ends its inference process
# and keeps queued jobs in the job store.
CMD ["node", "dist/src/main.js"]

FROM ${CUDA_IMAGE} AS gpu-worker
# Node and npm from the app stage (glibc builds run on Ubuntu 24.04 as on Debian 12).
COPY --from=app /usr/local/bin /usr/local/bin
COPY --from=app /usr/local/lib/node_modules /usr/local/lib/node_modules
COPY --from=app /usr/local/include/node /usr/local/include/node
WORKDIR /app
COPY --from=app /app /app
# onnxruntime-node's own install script fetches its CUDA 12 provider libraries (network at build time).
RUN npm run install:cuda \
 && useradd --system --home /app diffuse && mkdir -p /app/data && chown -R diffuse: /app/data
USER diffuse
ENV DATA_DIR=/app/data NODE_ENV=production DEVICE=cuda METRICS_HOST=0.0.0.0
EXPOSE 9464
CMD ["node", "dist/src/cluster/worker-main.js"]
