# One image, two processes: `node dist/main.js` (API) and `node dist/worker.js` (worker).
# Mirrors what .ci/run and scripts/start.sh do: npm ci, nest build, migrate, start.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
COPY scripts/build-web.sh ./scripts/
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# The compose file runs `node dist/platform/database/migrate.js` once before api and worker.
CMD ["node", "dist/main.js"]
