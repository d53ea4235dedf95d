// The route handlers' side of the one API proxy (apps/web/api-proxy.mjs): a Request in, a
// Response out. `next start` and `next dev` use these; `gdc start` (serve.mjs) answers the same
// paths with the same proxy before Next sees them.
import { Readable } from "node:stream";
import { forwardToApi } from "../../api-proxy.mjs";
import { webEnv } from "../../env.mjs";

export async function routeToApi(kind: "graphql" | "export", request: Request): Promise<Response> {
  const url = new URL(request.url);
  let upstream: { destroy(): void } | null = null;
  request.signal.addEventListener("abort", () => upstream?.destroy());
  const answer = await forwardToApi({
    kind,
    method: request.method,
    pathAndQuery: url.pathname + url.search,
    header: (name) => request.headers.get(name) ?? undefined,
    body: kind === "graphql" && request.method === "POST" && request.body ? Readable.fromWeb(request.body as import("node:stream/web").ReadableStream) : null,
    apiUrl: webEnv().apiUrl,
    // Next drops content-encoding and content-length from a route handler's response.
    passEncoding: false,
    onUpstream: (r) => (upstream = r),
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  const body = answer.body === null || typeof answer.body === "string" ? answer.body : (Readable.toWeb(answer.body) as ReadableStream<Uint8Array>);
  return new Response(body, { status: answer.status, headers });
}
