// @ts-check
// The same-origin proxies to the API, written once: POST /graphql to the GraphQL endpoint and
// GET/HEAD /export/* (the data map's Arrow file, released versions as JSONL) to the API's
// origin. serve.mjs (what `gdc start` runs) calls them on its node:http server before Next sees
// the request; the route handlers under src/app (what `next start` and `next dev` use) call
// `forwardToApi` and wrap its answer in a Response. Bodies stream through untouched (a 304 has
// none, a gzip body stays gzip).
//
// One difference, the `passEncoding` option: Next drops `content-encoding` and
// `content-length` from every route handler's response, so a gzip body would reach the browser
// unlabelled. The route handlers therefore do not forward `accept-encoding` (the API answers
// uncompressed and Next's own compression, where on, gzips it); serve.mjs does.
import http from "node:http";
import https from "node:https";

/** Request headers an /export download needs upstream: who asks, what it can decode, what it already has. */
const EXPORT_REQUEST_HEADERS = ["authorization", "accept-encoding", "if-none-match"];
/** Response headers of an /export download passed back. */
const EXPORT_RESPONSE_HEADERS = [
  "content-type",
  "content-encoding",
  "content-length",
  "etag",
  "cache-control",
  "vary",
  "allow",
  "x-gdc-point-count",
  "x-gdc-example-count",
  "x-gdc-content-hash",
];
const ENCODING_HEADERS = ["accept-encoding", "content-encoding", "content-length"];

/**
 * @typedef {{ status: number, headers: Record<string, string | string[]>, body: import("node:stream").Readable | string | null }} ProxyAnswer
 * @typedef {{
 *   kind: "graphql" | "export",
 *   method: string,
 *   pathAndQuery: string,
 *   header: (name: string) => string | undefined,
 *   body: import("node:stream").Readable | null,
 *   apiUrl: URL,
 *   passEncoding: boolean,
 *   agent?: http.Agent,
 *   onUpstream?: (request: http.ClientRequest) => void,
 * }} ProxyRequest
 */

/** @param {number} status @param {string} code @param {string} message @param {Record<string, string>} [extra] @returns {ProxyAnswer} */
function failure(status, code, message, extra = {}) {
  return {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...extra },
    body: JSON.stringify({ errors: [{ message, extensions: { code } }] }),
  };
}

/**
 * Forwards one request to the API; resolves with the API's status, the headers passed back and
 * its body stream, or with a JSON error (405, 404 outside /export/, 502 when the API is down).
 * @param {ProxyRequest} request
 * @returns {Promise<ProxyAnswer>}
 */
export function forwardToApi(request) {
  const { kind, method, apiUrl, passEncoding } = request;
  /** @type {URL} */
  let target;
  /** @type {Record<string, string>} */
  const headers = {};
  if (kind === "graphql") {
    if (method !== "POST") return Promise.resolve(failure(405, "METHOD_NOT_ALLOWED", "POST a JSON GraphQL request to /graphql", { allow: "POST" }));
    target = apiUrl;
    // Only what the API needs: the JSON content type (CSRF prevention) and who asks.
    headers["content-type"] = "application/json";
    headers.accept = "application/json";
    for (const name of ["authorization", "content-length"]) {
      const value = request.header(name);
      if (value) headers[name] = value;
    }
  } else {
    if (method !== "GET" && method !== "HEAD") return Promise.resolve(failure(405, "METHOD_NOT_ALLOWED", "Use GET for /export", { allow: "GET, HEAD" }));
    target = new URL(request.pathAndQuery, apiUrl.origin);
    // No way out of /export/ (the URL parser has resolved any "..").
    if (target.origin !== apiUrl.origin || !target.pathname.startsWith("/export/")) return Promise.resolve(failure(404, "NOT_FOUND", "Not found"));
    for (const name of EXPORT_REQUEST_HEADERS) {
      if (!passEncoding && ENCODING_HEADERS.includes(name)) continue;
      const value = request.header(name);
      if (value) headers[name] = value;
    }
  }
  return new Promise((resolve) => {
    const client = target.protocol === "https:" ? https : http;
    const upstream = client.request(target, { method, headers, ...(request.agent ? { agent: request.agent } : {}) }, (answer) => {
      const status = answer.statusCode ?? 502;
      /** @type {Record<string, string | string[]>} */
      const out = {};
      if (kind === "graphql") {
        out["content-type"] = answer.headers["content-type"] ?? "application/json";
        out["cache-control"] = "no-store";
      } else {
        for (const name of EXPORT_RESPONSE_HEADERS) {
          if (!passEncoding && ENCODING_HEADERS.includes(name)) continue;
          const value = answer.headers[name];
          if (value !== undefined) out[name] = value;
        }
      }
      const bodyless = method === "HEAD" || status === 204 || status === 304;
      if (bodyless) answer.resume();
      resolve({ status, headers: out, body: bodyless ? null : answer });
    });
    upstream.on("error", () =>
      resolve(
        failure(502, "API_UNREACHABLE", kind === "graphql" ? `The GraphQL API is not reachable at ${apiUrl}` : `The API is not reachable at ${apiUrl.origin}`),
      ),
    );
    request.onUpstream?.(upstream);
    if (request.body) request.body.pipe(upstream);
    else upstream.end();
  });
}

/**
 * A node:http handler for POST /graphql or GET/HEAD /export/* (keep-alive to the API).
 * @param {"graphql" | "export"} kind
 * @param {URL} apiUrl
 */
export function nodeProxy(kind, apiUrl) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  return async (req, res) => {
    /** @type {http.ClientRequest | null} */
    let upstream = null;
    // The browser went away (navigated off mid-download): stop the upstream transfer too.
    res.on("close", () => {
      if (!res.writableFinished) upstream?.destroy();
    });
    const answer = await forwardToApi({
      kind,
      method: req.method ?? "GET",
      pathAndQuery: req.url ?? "/",
      header: (name) => {
        const value = req.headers[name];
        return typeof value === "string" ? value : undefined;
      },
      body: kind === "graphql" && req.method === "POST" ? req : null,
      apiUrl,
      passEncoding: true,
      agent,
      onUpstream: (r) => (upstream = r),
    });
    if (res.headersSent) return res.destroy();
    res.writeHead(answer.status, answer.headers);
    if (answer.body === null || typeof answer.body === "string") res.end(answer.body ?? undefined);
    else answer.body.pipe(res);
  };
}
