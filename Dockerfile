# The fedmcp hub (Node) as an image: `docker build -t fedmcp .` then
# `docker run -p 8080:8080 -v $PWD/fedmcp.config.json:/app/fedmcp.config.json:ro fedmcp`.
# Fly.io runs it with the config as a machine file (see `fedmcp deploy fly`).

# ---- build: install the workspace, build the CLI and what it needs, keep production deps only
FROM node:20-bookworm-slim AS build
WORKDIR /repo
RUN npm install --global pnpm@10.34.9
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm --filter "fedmcp..." run build \
 && pnpm --filter fedmcp deploy --prod --legacy /out

# ---- run: the built CLI only, as the unprivileged "node" user
FROM node:20-bookworm-slim AS run
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /out /app
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/bin.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--config", "/app/fedmcp.config.json"]
