# syntax=docker/dockerfile:1
# diffuse-bot images (see docs/scaling.md and deploy/compose.yaml):
#   target `app`        the bot (`npm start`): chat adapters, and with REDIS_URL the scale-out front-end;
#                       CPU inference when it runs jobs itself. Debian 12 + Node 20.
#   target `gpu-worker` a scale-out worker (`npm run worker`) with onnxruntime-node's CUDA 12
#                       provider (needs the NVIDIA container toolkit and DEVICE=cuda).
# Build: docker build --target app -t diffuse-bot .   |   docker build --target gpu-worker -t diffuse-worker .

ARG NODE_IMAGE=node:20-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04

FROM ${NODE_IMAGE} AS app
WORKDIR /app
# npm 11.16+ reads package.json's allowScripts (onnxruntime-node's CUDA download stays off here).
RUN npm install -g npm@^11.16 --no-audit --no-fund
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
RUN useradd --system --home /app diffuse && mkdir -p /app/data && chown -R diffuse: /app/data
USER diffuse
ENV DATA_DIR=/app/data NODE_ENV=production
# Playground and Slack's HTTP receiver are for the host to publish; metrics on 9464.
EXPOSE 8080 3000 9464
CMD ["npm", "start"]

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
CMD ["npm", "run", "worker"]
