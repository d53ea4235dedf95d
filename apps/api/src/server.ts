import http from "node:http";
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { typeDefs, resolvers } from "./schema/index.ts";
import { buildContext, type ApiContext, type ApiDeps } from "./context.ts";

/** Largest accepted request body: big enough for a 50 k-cell dynamics chunk, small enough to refuse abuse. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export function createApolloServer(options: { production?: boolean; plugins?: ApolloServerPlugin<ApiContext>[] } = {}) {
  return new ApolloServer<ApiContext>({
    typeDefs,
    resolvers,
    // CSRF prevention stays on (the default): browsers must send a JSON content-type or a
    // non-simple header such as `apollo-require-preflight`.
    csrfPrevention: true,
    includeStacktraceInErrorResponses: !options.production,
    introspection: true,
    plugins: options.plugins ?? [],
  });
}

export interface RunningApi {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Serves GraphQL at /graphql (and /), with a request size limit, on loopback by default. */
export async function startApi(deps: ApiDeps, options: { port?: number; host?: string; production?: boolean } = {}): Promise<RunningApi> {
  const httpServer = http.createServer();
  const apollo = createApolloServer({
    production: options.production ?? false,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await apollo.start();
  httpServer.on("request", (req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(JSON.stringify({ errors: [{ message: options.production ? "Internal server error" : String(err) }] }));
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/health") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ ok: true }));
      return;
    }
    if (url.pathname !== "/graphql" && url.pathname !== "/") {
      res.statusCode = 404;
      res.end();
      return;
    }
    const body = await readBody(req);
    if (body === "too-large") {
      res.statusCode = 413;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ errors: [{ message: `Request body exceeds ${MAX_BODY_BYTES} bytes`, extensions: { code: "PAYLOAD_TOO_LARGE" } }] }));
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    let parsed: unknown = undefined;
    if (body.length) {
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch {
        res.statusCode = 400;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ errors: [{ message: "Request body is not valid JSON", extensions: { code: "BAD_REQUEST" } }] }));
        return;
      }
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? "GET").toUpperCase(), headers, search: url.search, body: parsed },
      context: () => buildContext(deps, req.headers),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") {
      res.end(response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => httpServer.listen(options.port ?? 4000, host, resolve));
  const address = httpServer.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 4000);
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    async stop() {
      await apollo.stop();
    },
  };
}

async function readBody(req: http.IncomingMessage): Promise<Buffer | "too-large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      req.resume();
      return "too-large";
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
