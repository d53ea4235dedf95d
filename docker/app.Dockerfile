# API and worker image (same sources, different command). Build from the repository root:
#   docker build -f docker/app.Dockerfile -t gendatacarto-app .
# TypeScript sources run with tsx, as in development; the Prisma client is generated at build.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json .npmrc prisma.config.ts ./
COPY scripts scripts
COPY prisma prisma
COPY libs libs
COPY apps apps
COPY e2e/package.json e2e/package.json
COPY bench/package.json bench/package.json
# Dev dependencies are kept: tsx runs the sources and prisma applies migrations.
RUN npm ci --no-audit --no-fund && rm -rf apps/web /root/.npm
USER node
EXPOSE 4000
# api:    npx tsx apps/api/src/main.ts
# worker: npx tsx apps/worker/src/main.ts
# migrate (one-off, before api/worker): npx prisma migrate deploy
CMD ["npx", "tsx", "apps/api/src/main.ts"]
