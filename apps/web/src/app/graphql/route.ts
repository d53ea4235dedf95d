// Same-origin GraphQL endpoint: forwards to the API server (GDC_API_URL), so the browser never
// needs CORS. A route handler rather than a `rewrites()` entry because rewrites are fixed at
// build time, while the API's address is only known when the server starts. The proxy itself
// is apps/web/api-proxy.mjs, shared with serve.mjs.
import { routeToApi } from "../../lib/api-route";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export function POST(request: Request): Promise<Response> {
  return routeToApi("graphql", request);
}
