import type http from "node:http";
import type { Readable } from "node:stream";

export interface ProxyAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Readable | string | null;
}

export interface ProxyRequest {
  kind: "graphql" | "export";
  method: string;
  pathAndQuery: string;
  header: (name: string) => string | undefined;
  body: Readable | null;
  apiUrl: URL;
  /** Forward accept-encoding and pass content-encoding/content-length back (not from Next route handlers). */
  passEncoding: boolean;
  agent?: http.Agent;
  onUpstream?: (request: http.ClientRequest) => void;
}

export function forwardToApi(request: ProxyRequest): Promise<ProxyAnswer>;
export function nodeProxy(kind: "graphql" | "export", apiUrl: URL): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
