# The Next.js web app. Build from the repository root:
#   docker build -f docker/web.Dockerfile -t gendatacarto-web .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY apps/web apps/web
COPY libs/cartography libs/cartography
RUN npm ci --no-audit --no-fund --ignore-scripts --workspace @gdc/web \
 && npm run build --workspace @gdc/web

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app /app
USER node
EXPOSE 3000
# GDC_API_URL: where the web server proxies /graphql to (the api service)
CMD ["npm", "run", "start", "--workspace", "@gdc/web"]
