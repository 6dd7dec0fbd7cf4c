# Portcullis container image. `docker build .` builds from source (needs the npm registry);
# `npm run image` builds offline from dependencies prepared on the host (scripts/build-image.mjs).
# Both go through the same stages; the build stage runs only `node`, so any Node 20 base works.
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
COPY . /ctx
# Either copies the host-prepared /ctx/prepared to /app, or runs npm ci, the build and a prune.
RUN ["node", "/ctx/scripts/image-stage.mjs", "/ctx", "/app"]

FROM ${BASE_IMAGE}
# Owned by root and read-only to the proxy's user: nothing in /app is ever written.
COPY --from=build /app /app
ENV NODE_ENV=production \
    PORTCULLIS_LISTEN=tcp://0.0.0.0:2375
# Not root. Reading /var/run/docker.sock needs its group: group_add: ["<gid>"] (docs/deploy.md).
USER 65532:65532
EXPOSE 2375
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["node", "/app/dist/cli/main.js", "healthcheck"]
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["serve"]
