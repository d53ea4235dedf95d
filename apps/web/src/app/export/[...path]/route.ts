// Same-origin downloads: GET/HEAD /export/* (the data map's Arrow file, released versions as
// JSONL) forwarded to the API's origin, so the browser never needs CORS. The proxy itself is
// apps/web/api-proxy.mjs, shared with serve.mjs (which answers these paths before Next under
// `gdc start`); here without accept-encoding, see there.
import { routeToApi } from "../../../lib/api-route";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export function GET(request: Request): Promise<Response> {
  return routeToApi("export", request);
}

export function HEAD(request: Request): Promise<Response> {
  return routeToApi("export", request);
}
