import { createHash } from "node:crypto";
import http from "node:http";
import { gzipSync } from "node:zlib";
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { unwrapResolverError } from "@apollo/server/errors";
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { getComplexity } from "graphql-query-complexity";
import { DomainError, exportLine, exportVersion, invalidValueMessage, isUniqueViolation, readRunGovernance, readRunScores } from "@gdc/db";
import { typeDefs, resolvers } from "./schema/index.ts";
import { authenticate, buildContext, type ApiContext, type ApiDeps } from "./context.ts";
import { authorizeQueryFields, canSeeCanarySecrets } from "./permissions.ts";
import { ARROW_FILE_TYPE, DATA_MAP_PATH, DataMapCache, encodeGovernanceArrow, GOVERNANCE_PATH, parseDataMapIncludes } from "./data-map-http.ts";
import { RUN_SCORES_PATH, sendRunScores, type RunScoresFormat } from "./scores-download-http.ts";
import { DYNAMICS_INGEST_PATH, handleDynamicsIngest } from "./dynamics-ingest-http.ts";
import { TokenCache } from "./token-cache.ts";
import { MAX_TOKENS, invalidTextInArguments, limitRules, tokenLimitError } from "./request-limits.ts";
import { costEstimator, MAX_QUERY_COMPLEXITY } from "./query-cost.ts";

export { MAX_ALIASES, MAX_DIRECTIVES, MAX_QUERY_DEPTH, MAX_TOKENS, ONCE_PER_OPERATION_FIELDS } from "./request-limits.ts";

import { MAX_BODY_BYTES } from "./body-limits.ts";

/** Largest accepted request body (body-limits.ts, shared with clients). */
export { MAX_BODY_BYTES };
/** The query cost limit and its estimator (query-cost.ts). */
export { MAX_QUERY_COMPLEXITY };

/** The operation's top-level field names, through fragments. */
function topLevelFields(operation: OperationDefinitionNode, document: DocumentNode): Set<string> {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const names = new Set<string>();
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) names.add(s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const fragment = fragments.get(s.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return names;
}

/**
 * Runs after parsing and validation, before execution: anonymous callers may only read the
 * public query fields, no argument may carry text PostgreSQL cannot store (NUL, invalid
 * Unicode: BAD_USER_INPUT naming the argument path), and no operation may cost more than
 * MAX_QUERY_COMPLEXITY. (These are checked here rather than as validation rules because they
 * need the variables: `first: $n`, `text: $t`.)
 */
const operationGuard: ApolloServerPlugin<ApiContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document, schema, operation, operationName, contextValue }) {
        if (operation?.operation === "query") {
          try {
            authorizeQueryFields(contextValue, topLevelFields(operation, document));
          } catch (err) {
            const e = err as DomainError;
            throw new GraphQLError(e.message, { extensions: { code: e.code, http: { status: 401 } } });
          }
        }
        if (operation) {
          const fragments = new Map<string, FragmentDefinitionNode>();
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
          const invalid = invalidTextInArguments(operation, fragments, request.variables ?? {});
          if (invalid) throw invalid;
        }
        let cost: number;
        try {
          cost = getComplexity({
            schema,
            query: document,
            variables: request.variables ?? {},
            operationName: operationName ?? undefined,
            estimators: [costEstimator],
          });
        } catch {
          // Variables that do not coerce: execution refuses them as BAD_USER_INPUT, before any resolver runs.
          return;
        }
        if (cost > MAX_QUERY_COMPLEXITY) {
          throw new GraphQLError(
            `The query is too expensive (estimated cost ${cost}, at most ${MAX_QUERY_COMPLEXITY}): ask for smaller pages or fewer nested lists`,
            {
              extensions: { code: "GRAPHQL_VALIDATION_FAILED", http: { status: 400 } },
            },
          );
        }
      },
    };
  },
};

/** Codes GraphQL and Apollo set themselves for client mistakes: passed through as they are. */
const CLIENT_ERROR_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "UNAUTHENTICATED",
  "FORBIDDEN",
]);

/**
 * Maps every error to a typed `extensions.code`: DomainError codes (with `field` for
 * BAD_USER_INPUT), malformed values (a non-UUID id; libs/db invalidValueMessage) → BAD_USER_INPUT,
 * unique violations (libs/db isUniqueViolation) → CONFLICT, GraphQL's own client errors as they are, and anything else →
 * INTERNAL_SERVER_ERROR with the generic message "Internal server error", logged here. Only with
 * `debug` (GDC_DEBUG_ERRORS=1) do internal errors keep their message (SQL, file paths) and
 * responses carry stack traces; the mode (NODE_ENV) plays no part.
 */
export function formatError(options: { debug: boolean; log?: (message: string) => void }) {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const base = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
    const stack = options.debug && formatted.extensions?.stacktrace ? { stacktrace: formatted.extensions.stacktrace } : {};
    if (original instanceof DomainError) {
      return { message: original.message, ...base, extensions: { code: original.code, ...(original.field ? { field: original.field } : {}), ...stack } };
    }
    const malformed = invalidValueMessage(original);
    if (malformed) return { message: malformed, ...base, extensions: { code: "BAD_USER_INPUT", ...stack } };
    if (isUniqueViolation(original)) {
      return { message: "That already exists (a unique value is taken)", ...base, extensions: { code: "CONFLICT", ...stack } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === "string" && CLIENT_ERROR_CODES.has(code)) {
      const { stacktrace: _, ...extensions } = formatted.extensions ?? {};
      // Variable coercion errors name the bad value's path in the message: `… at "input.weight"; …`.
      const variablePath = code === "BAD_USER_INPUT" && !extensions.field ? / at "([^"]+)"/.exec(formatted.message)?.[1] : undefined;
      return { ...formatted, extensions: { ...extensions, ...(variablePath ? { field: variablePath } : {}), ...stack } };
    }
    log(`internal error: ${original instanceof Error ? (original.stack ?? original.message) : String(original)}`);
    return {
      message: options.debug ? formatted.message : "Internal server error",
      ...base,
      extensions: { code: "INTERNAL_SERVER_ERROR", ...stack },
    };
  };
}

/** Settings of the API server; every one is off unless turned on (readEnv: GDC_INTROSPECTION, GDC_DEBUG_ERRORS). */
export interface ApiServerOptions {
  /** Answer introspection queries (`__schema`, `__type`). Default off, in every mode. */
  introspection?: boolean;
  /** Internal errors keep their message and carry stack traces. Default off, in every mode. */
  debugErrors?: boolean;
}

export function createApolloServer(options: ApiServerOptions & { plugins?: ApolloServerPlugin<ApiContext>[] } = {}) {
  const debug = options.debugErrors ?? false;
  return new ApolloServer<ApiContext>({
    typeDefs,
    resolvers,
    // CSRF prevention stays on (the default). A browser client must make every request
    // "non-simple": POST with `content-type: application/json` (urql and fetch with a JSON body
    // do), and GET requests with an `apollo-require-preflight: true` (or
    // `x-apollo-operation-name`) header. The API reads tokens from `Authorization` only, never
    // from cookies.
    csrfPrevention: true,
    includeStacktraceInErrorResponses: debug,
    // The committed apps/api/schema.graphql is the schema's documentation; introspection only when asked for.
    introspection: options.introspection ?? false,
    // GraphQL Armor's depth, alias and directive limits, and fields allowed once per operation (request-limits.ts).
    validationRules: limitRules,
    // The token limit is checked before parsing (startApi); this is graphql's own backstop for other callers.
    parseOptions: { maxTokens: MAX_TOKENS },
    formatError: formatError({ debug }),
    // No cache hints are used: the default cache-control plugin would only add a hook to every resolved field.
    plugins: [operationGuard, ApolloServerPluginCacheControlDisabled(), ...(options.plugins ?? [])],
  });
}

/** The executable schema exactly as the server builds it (for printing schema.graphql). */
export async function buildSchema(): Promise<GraphQLSchema> {
  let schema: GraphQLSchema | undefined;
  const server = createApolloServer({
    plugins: [
      {
        async serverWillStart(service) {
          schema = service.schema;
        },
      },
    ],
  });
  await server.start();
  await server.stop();
  if (!schema) throw new Error("Apollo Server started without a schema");
  return schema;
}

export interface RunningApi {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const EXPORT_PATH = /^\/export\/versions\/([^/]+)\.jsonl$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Serves GraphQL at /graphql (and /), with a request size limit, on loopback by default; and
 * `GET /export/versions/<id>.jsonl` (Bearer token, any role): a released version as JSONL for
 * Hugging Face `datasets`, streamed page by page (see exportVersion), its lineage (run → parent →
 * version) in the `x-gdc-lineage` header as JSON; and
 * `GET /export/runs/<id>/data-map.arrow` (Bearer token, any role): a run's data map as an
 * Arrow IPC file, from an in-memory cache (see data-map-http.ts); and
 * `GET /export/runs/<id>/scores.csv|.arrow` (Bearer token, any role): every score of a run keyed
 * by the user's example keys (see scores-download-http.ts); and
 * `POST /ingest/runs/<id>/dynamics` (Bearer token, the ingestDynamics roles): one chunk of an
 * external run's dynamics as Arrow IPC (see dynamics-ingest-http.ts).
 */
export async function startApi(apiDeps: ApiDeps, options: ApiServerOptions & { port?: number; host?: string } = {}): Promise<RunningApi> {
  const tokens = apiDeps.tokens ?? (await TokenCache.open(apiDeps.db));
  const deps: ApiDeps = { ...apiDeps, tokens };
  const httpServer = http.createServer();
  // Idle keep-alive connections outlive the clients' own idle timeouts (undici: 4 s, proxies: 60 s),
  // so a client never sends on a connection the server is closing ("other side closed").
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;
  const apollo = createApolloServer({
    introspection: options.introspection ?? false,
    debugErrors: options.debugErrors ?? false,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await apollo.start();
  const dataMaps = new DataMapCache(deps.db);
  httpServer.on("request", (req, res) => {
    void handle(req, res).catch((err: unknown) => {
      process.stderr.write(`request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJsonError(res, 500, "INTERNAL_SERVER_ERROR", options.debugErrors ? String(err) : "Internal server error");
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/health") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ ok: true }));
      return;
    }
    const dataMapMatch = DATA_MAP_PATH.exec(url.pathname);
    if (dataMapMatch) {
      const admitted = await admitDownload(req, res, ["GET", "HEAD"], "runId", dataMapMatch[1]!);
      if (admitted) await handleDataMap(req, res, admitted, url.searchParams);
      return;
    }
    const governanceMatch = GOVERNANCE_PATH.exec(url.pathname);
    if (governanceMatch) {
      const admitted = await admitDownload(req, res, ["GET", "HEAD"], "runId", governanceMatch[1]!);
      if (admitted) await handleGovernance(req, res, admitted.id);
      return;
    }
    const scoresMatch = RUN_SCORES_PATH.exec(url.pathname);
    if (scoresMatch) {
      const admitted = await admitDownload(req, res, ["GET", "HEAD"], "runId", scoresMatch[1]!);
      if (admitted) await handleRunScores(req, res, admitted, scoresMatch[2] as RunScoresFormat);
      return;
    }
    const ingestMatch = DYNAMICS_INGEST_PATH.exec(url.pathname);
    if (ingestMatch) {
      await handleDynamicsIngest(deps, req, res, ingestMatch[1]!, url.searchParams);
      return;
    }
    const exportMatch = EXPORT_PATH.exec(url.pathname);
    if (exportMatch) {
      const admitted = await admitDownload(req, res, ["GET"], "versionId", exportMatch[1]!);
      if (admitted) await handleExport(req, res, admitted.id);
      return;
    }
    if (url.pathname !== "/graphql" && url.pathname !== "/") {
      res.statusCode = 404;
      res.end();
      return;
    }
    const body = await readBody(req);
    if (body === "too-large") {
      sendJsonError(res, 413, "PAYLOAD_TOO_LARGE", `Request body exceeds ${MAX_BODY_BYTES} bytes`);
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
        sendJsonError(res, 400, "BAD_REQUEST", "Request body is not valid JSON");
        return;
      }
    }
    const tooManyTokens = tokenLimitError(parsed && typeof parsed === "object" ? (parsed as { query?: unknown }).query : url.searchParams.get("query"));
    if (tooManyTokens) {
      sendJsonError(res, 400, "GRAPHQL_PARSE_FAILED", tooManyTokens.message);
      return;
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

  /**
   * What every /export download checks first, in this order: the method, a valid token (any
   * role), and that the id in the path (still percent-encoded, `raw`) decodes to a UUID. The
   * decoded id, or null once it has answered with the error: nothing about the path is looked
   * at, or echoed, before the token is.
   */
  async function admitDownload(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    methods: string[],
    field: string,
    raw: string,
  ): Promise<{ id: string; canarySecretsVisible: boolean } | null> {
    if (!methods.includes(req.method ?? "")) {
      res.setHeader("allow", methods.join(", "));
      sendJsonError(res, 405, "BAD_REQUEST", "Use GET");
      return null;
    }
    const user = await authenticate(deps, req.headers);
    if (!user) {
      sendJsonError(res, 401, "UNAUTHENTICATED", "A valid API token is required (Authorization: Bearer <token>)");
      return null;
    }
    let id: string;
    try {
      id = decodeURIComponent(raw);
    } catch {
      sendJsonError(res, 400, "BAD_USER_INPUT", `${field}: the path has a malformed percent-escape`);
      return null;
    }
    if (!UUID.test(id)) {
      sendJsonError(res, 400, "BAD_USER_INPUT", `${field}: ${JSON.stringify(id.slice(0, 80))} is not a UUID`);
      return null;
    }
    // Canary redaction follows the GraphQL rule (Example.key): the same role sees the same keys.
    return { id, canarySecretsVisible: canSeeCanarySecrets({ user }) };
  }

  /**
   * `GET /export/runs/<runId>/data-map.arrow[?include=keys,ids]` (Bearer token, any role): the
   * run's data map as an Arrow IPC file (see data-map-http.ts), gzip when the client accepts it,
   * 304 for a matching If-None-Match.
   */
  async function handleDataMap(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    admitted: { id: string; canarySecretsVisible: boolean },
    search: URLSearchParams,
  ) {
    const runId = admitted.id;
    const include = parseDataMapIncludes(search);
    if (typeof include === "string") {
      sendJsonError(res, 400, "BAD_USER_INPUT", include);
      return;
    }
    const entry = await dataMaps.get(runId, { include, canarySecretsVisible: admitted.canarySecretsVisible });
    if (entry === "no-run") {
      sendJsonError(res, 404, "NOT_FOUND", `Run ${runId} not found`);
      return;
    }
    if (entry === "no-scores") {
      sendJsonError(res, 404, "NOT_FOUND", `Run ${runId} has no scores yet: its data map exists once it is scored`);
      return;
    }
    const variant = entry.variant;
    res.setHeader("etag", variant.etag);
    // Revalidated on every use (a re-scored run gets a new ETag); private: behind a token.
    res.setHeader("cache-control", "private, no-cache");
    res.setHeader("vary", "accept-encoding");
    res.setHeader("x-gdc-point-count", String(entry.count));
    if (req.headers["if-none-match"]?.split(/\s*,\s*/).includes(variant.etag)) {
      res.statusCode = 304;
      res.end();
      return;
    }
    const gzipped = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const body = gzipped ? variant.gzip : variant.raw;
    res.statusCode = 200;
    res.setHeader("content-type", ARROW_FILE_TYPE);
    if (gzipped) res.setHeader("content-encoding", "gzip");
    res.setHeader("content-length", String(body.length));
    res.end(req.method === "HEAD" ? undefined : body);
  }

  /**
   * `GET /export/runs/<runId>/governance.arrow` (Bearer token, any role, like the data map): the
   * data map's governance column, read fresh (it changes with every proposal and review); an
   * ETag of its bytes, so an unchanged column is a 304.
   */
  async function handleGovernance(req: http.IncomingMessage, res: http.ServerResponse, runId: string) {
    const governance = await readRunGovernance(deps.db, runId);
    if (!governance) {
      sendJsonError(res, 404, "NOT_FOUND", `Run ${runId} not found`);
      return;
    }
    const raw = Buffer.from(encodeGovernanceArrow(governance));
    const etag = `"${createHash("sha256").update(raw).digest("base64url").slice(0, 22)}"`;
    res.setHeader("etag", etag);
    res.setHeader("cache-control", "private, no-cache");
    res.setHeader("vary", "accept-encoding");
    res.setHeader("x-gdc-point-count", String(governance.count));
    if (req.headers["if-none-match"]?.split(/\s*,\s*/).includes(etag)) {
      res.statusCode = 304;
      res.end();
      return;
    }
    const gzipped = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const body = gzipped ? gzipSync(raw, { level: 1 }) : raw;
    res.statusCode = 200;
    res.setHeader("content-type", ARROW_FILE_TYPE);
    if (gzipped) res.setHeader("content-encoding", "gzip");
    res.setHeader("content-length", String(body.length));
    res.end(req.method === "HEAD" ? undefined : body);
  }

  /**
   * `GET /export/runs/<runId>/scores.csv|.arrow` (Bearer token, any role, like the data map):
   * every score column of the run, keyed by the user's example key, row i = run ordinal i.
   */
  async function handleRunScores(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    admitted: { id: string; canarySecretsVisible: boolean },
    format: RunScoresFormat,
  ) {
    let download: Awaited<ReturnType<typeof readRunScores>>;
    try {
      download = await readRunScores(deps.db, { runId: admitted.id, canarySecretsVisible: admitted.canarySecretsVisible });
    } catch (err) {
      if (err instanceof DomainError) {
        sendJsonError(res, err.code === "NOT_FOUND" ? 404 : err.code === "CONFLICT" ? 409 : 400, err.code, err.message);
        return;
      }
      throw err;
    }
    try {
      await sendRunScores(res, download, format, req.method === "HEAD");
    } catch (err) {
      if (err instanceof DomainError && !res.headersSent) {
        sendJsonError(res, 409, err.code, err.message);
        return;
      }
      throw err;
    }
  }

  async function handleExport(req: http.IncomingMessage, res: http.ServerResponse, versionId: string) {
    let exported: Awaited<ReturnType<typeof exportVersion>>;
    try {
      exported = await exportVersion(deps.db, { versionId });
    } catch (err) {
      if (err instanceof DomainError) {
        sendJsonError(res, err.code === "NOT_FOUND" ? 404 : err.code === "CONFLICT" ? 409 : 400, err.code, err.message);
        return;
      }
      throw err;
    }
    // The first row is read before the status is sent: exportVersion checks a page whole (and the
    // last page against the release hash) before yielding from it, so content that no longer
    // matches its release is refused here with 409 when the export fits one page. Past the first
    // page, a mismatch aborts the response before the last page: the client sees the connection
    // close without the final chunk (a truncated body, never a complete 200).
    const iterator = exported.rows[Symbol.asyncIterator]();
    let next: IteratorResult<Awaited<ReturnType<typeof iterator.next>>["value"]>;
    try {
      next = await iterator.next();
    } catch (err) {
      if (err instanceof DomainError) {
        process.stderr.write(`export refused: ${err.message}\n`);
        sendJsonError(res, 409, err.code, err.message);
        return;
      }
      throw err;
    }
    res.statusCode = 200;
    res.setHeader("content-type", "application/x-ndjson; charset=utf-8");
    res.setHeader("x-gdc-example-count", String(exported.count));
    res.setHeader("x-gdc-content-hash", exported.version.contentHash ?? "");
    // run → parent → this version (GOVERNANCE.md): ids only, ASCII, a few runs at most.
    res.setHeader(
      "x-gdc-lineage",
      JSON.stringify({ parentVersionId: exported.lineage.parentVersionId, runs: exported.lineage.runs, recorded: exported.lineage.recorded }),
    );
    while (!next.done) {
      if (!res.write(exportLine(next.value))) await drained(res);
      next = await iterator.next();
    }
    res.end();
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
      if (!apiDeps.tokens) await tokens.close();
    },
  };
}

/** Waits until a response can take more data; rejects when the client went away. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      res.off("close", onClose);
      resolve();
    };
    const onClose = () => {
      res.off("drain", onDrain);
      reject(new Error("the client closed the export"));
    };
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}

function sendJsonError(res: http.ServerResponse, status: number, code: string, message: string) {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

async function readBody(req: http.IncomingMessage): Promise<Buffer | "too-large"> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    req.resume();
    return "too-large";
  }
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
