// Same-origin downloads: GET/HEAD /export/* (the data map's Arrow file, released versions as
// JSONL) forwarded to the API's origin, so the browser never needs CORS. What `next dev` and
// `next start` use; `startWeb` (serve.mjs) answers these paths with a plain streaming proxy
// before Next sees them — keep the two in step.
//
// One difference: Next drops `content-encoding` and `content-length` from every route
// handler's response (FORBIDDEN_HEADERS in next/dist/server/send-response.js), so a gzip body
// from the API would reach the browser unlabelled. This handler therefore does not forward
// `accept-encoding`: the API sends the file uncompressed, it passes through as it is (never
// decoded and re-encoded here), and Next's own response compression, where on, gzips it for
// the browser. serve.mjs forwards `accept-encoding` and passes the API's gzip body through.
//
// node:http rather than fetch: fetch would decode a compressed body, and this handler passes
// bodies through untouched (a 304 with none at all).
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Request headers the API needs: who asks and what it already has (no accept-encoding: see above). */
const REQUEST_HEADERS = ["authorization", "if-none-match"];
/** Response headers passed back (content-encoding and content-length would be dropped by Next). */
const RESPONSE_HEADERS = [
  "content-type",
  "etag",
  "cache-control",
  "vary",
  "allow",
  "x-gdc-point-count",
  "x-gdc-example-count",
  "x-gdc-content-hash",
];

function apiOrigin(): string {
  return new URL(process.env.GDC_API_URL ?? "http://127.0.0.1:4000/graphql").origin;
}

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ errors: [{ message, extensions: { code } }] }, { status, headers: { "cache-control": "no-store" } });
}

function forward(request: Request): Promise<Response> {
  const origin = apiOrigin();
  const incoming = new URL(request.url);
  const target = new URL(incoming.pathname + incoming.search, origin);
  if (target.origin !== origin || !target.pathname.startsWith("/export/")) return Promise.resolve(jsonError(404, "NOT_FOUND", "Not found"));
  const headers: Record<string, string> = {};
  for (const name of REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value) headers[name] = value;
  }
  return new Promise<Response>((resolve) => {
    const client = target.protocol === "https:" ? https : http;
    const upstream = client.request(target, { method: request.method, headers }, (answer) => {
      const out = new Headers();
      for (const name of RESPONSE_HEADERS) {
        const value = answer.headers[name];
        if (value !== undefined) out.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      const status = answer.statusCode ?? 502;
      const bodyless = request.method === "HEAD" || status === 204 || status === 304;
      if (bodyless) answer.resume();
      resolve(new Response(bodyless ? null : (Readable.toWeb(answer) as ReadableStream<Uint8Array>), { status, headers: out }));
    });
    upstream.on("error", () => resolve(jsonError(502, "API_UNREACHABLE", `The API is not reachable at ${origin}`)));
    request.signal.addEventListener("abort", () => upstream.destroy());
    upstream.end();
  });
}

export function GET(request: Request): Promise<Response> {
  return forward(request);
}

export function HEAD(request: Request): Promise<Response> {
  return forward(request);
}
