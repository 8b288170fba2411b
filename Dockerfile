# syntax=docker/dockerfile:1.7
# core-dump-handler agent image: /app/agent.cjs (the agent), /app/cdc.cjs (the composer bundle the
# agent installs on each host) and /app/node (the runtime for both, also copied to each host).
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/core-dump-handler:TAG .
#
# Without an engine (and without pulling any base image), `npm run image` builds the same image
# with buildah: native-free/build-image.mjs makes each architecture's root with the same script
# and hands it in as the `rootfs` build context, which replaces the `rootfs` stage below (so the
# build stage never runs). docker buildx takes the same flag:
#   docker buildx build --build-context rootfs=dist/image/rootfs-amd64 --platform linux/amd64 .
#
# The base is pinned to an exact release; CI may pin it further by digest:
#   --build-arg NODE_IMAGE=node:26.10.0-bookworm-slim@sha256:<digest>
# Keep its Node version equal to the `node` devDependency in package.json (the tests' runtime).
ARG NODE_IMAGE=node:26.10.0-bookworm-slim

# Build stage. It runs on the TARGET platform (no --platform=$BUILDPLATFORM) on purpose: `npm ci`
# installs the `node` package's runtime binary for the machine it runs on, and that binary is what
# ships. The bundles themselves are architecture-independent JavaScript.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY native-free ./native-free
# The same script the tests run (test/native-free/image-root.test.ts): npm run build into the
# tree, the runtime, and the shared libraries it needs, laid out as the final image's root.
RUN node native-free/build-image-root.mjs /rootfs --with-libs

# The tree alone, as a stage of its own: a `--build-context rootfs=DIR` replaces it.
FROM scratch AS rootfs
COPY --from=build /rootfs/ /

# Final stage: nothing but that tree (no shell, no package manager).
FROM scratch
COPY --from=rootfs / /
ENV PATH=/app NODE_ENV=production
WORKDIR /app
# Non-root by default. The chart runs the agent as root and privileged because it must write
# /proc/sys/kernel/core_pattern and the root-owned host directory; nothing else needs root.
USER 65532:65532
LABEL org.opencontainers.image.title="core-dump-handler" \
      org.opencontainers.image.description="Kubernetes core dump collector: agent, composer and Node runtime" \
      org.opencontainers.image.licenses="MIT"
CMD ["node", "/app/agent.cjs", "run"]
