# The Next.js web app. Build from the repository root:
#   docker build -f docker/web.Dockerfile -t gendatacarto-web .
FROM node:20-bookworm-slim
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NEXT_TELEMETRY_DISABLED=1
COPY . .
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && npm run build --workspace @gdc/web \
 && rm -rf /root/.npm
ENV NODE_ENV=production
USER node
EXPOSE 3000
# GDC_API_URL: where the web server forwards /graphql to (the api service); read at start.
CMD ["npm", "run", "start", "--workspace", "@gdc/web"]
