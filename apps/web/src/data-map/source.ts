// Loads a run's data map from the API's Arrow export (through the web app's same-origin
// /export proxy): first the points alone (difficulty, memorization, quadrant, canary — 0.9 MB,
// 0.4 MB gzip for 100 k points), then, in the background once the map is drawn or as soon as something
// needs them, the same file with its example ids (`?include=ids`). Ids are only ever paired
// with the points they were fetched with: the file with ids carries every column, and it is
// checked against the points on screen; if the run was re-scored in between, that newer file
// becomes the map (and any selection on the old one is dropped with it).
//
// No cache of our own: the API answers `cache-control: private, no-cache` with an ETag, so the
// browser revalidates every load (a 304 when nothing changed) and a re-scored run is never
// shown stale.
import type { DataMapColumns, ExampleIds, GovernanceColumn } from "./arrow";
import { prepareDataMap, samePoints, type PreparedDataMap } from "./model";

export const EXPORT_PATH = "/export";

/**
 * The Arrow decoder (apache-arrow, ~200 KB of JS) is a chunk of its own rather than part of
 * the run page's bundle, so the page hydrates — and sends the data-map request — without
 * first evaluating it. Its loading starts as soon as this module runs in the browser, so the
 * chunk downloads and compiles while the page boots and is ready when the file arrives
 * (started only with the request, it landed after the file on a loaded 2-core machine,
 * adding ~100–200 ms before the map could be decoded).
 */
let arrowModule: Promise<typeof import("./arrow")> | null = null;
function loadArrow(): Promise<typeof import("./arrow")> {
  arrowModule ??= import("./arrow").catch((err: unknown) => {
    arrowModule = null; // a failed chunk load may be retried
    throw err;
  });
  return arrowModule;
}
if (typeof window !== "undefined") loadArrow().catch(() => {});

/** Same-origin URL of a run's governance column (GOVERNANCE_FLAGS per point, the map's row order). */
export function governanceUrl(runId: string): string {
  return `${EXPORT_PATH}/runs/${encodeURIComponent(runId)}/governance.arrow`;
}

/** Same-origin URL of a run's data-map file; `ids` adds the example_id column. */
export function dataMapUrl(runId: string, options: { ids?: boolean } = {}): string {
  return `${EXPORT_PATH}/runs/${encodeURIComponent(runId)}/data-map.arrow${options.ids ? "?include=ids" : ""}`;
}

export type MapState =
  | { status: "loading" }
  | { status: "error"; message: string }
  /** 404: the run has no scores (yet), or is unknown. */
  | { status: "no-scores"; message: string }
  /** `serial` changes whenever `map` is replaced: the explorer starts afresh for a new map. */
  | { status: "ready"; map: PreparedDataMap; serial: number };

export type IdsState = { status: "idle" } | { status: "loading" } | { status: "ready"; ids: ExampleIds } | { status: "error"; message: string };

/**
 * The governance column, fetched beside the points (a small file of its own: it changes with
 * every proposal and review, the points only when the run is re-scored).
 */
export type GovernanceState = { status: "loading" } | { status: "ready"; flags: Uint8Array; serial: number } | { status: "error"; message: string };

export interface DataMapSnapshot {
  map: MapState;
  /** Always about the map in `map` (reset whenever the map is). */
  ids: IdsState;
  governance: GovernanceState;
}

type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let serials = 0;

export class DataMapSource {
  private snapshot: DataMapSnapshot = { map: { status: "loading" }, ids: { status: "idle" }, governance: { status: "loading" } };
  private governanceRequest: AbortController | null = null;
  private governanceGeneration = 0;
  /** The governance column as fetched, checked against the map's count once both are there. */
  private governanceColumn: GovernanceColumn | null = null;
  private readonly listeners = new Set<() => void>();
  private mapRequest: AbortController | null = null;
  private idsRequest: AbortController | null = null;
  /** Bumped by load() and dispose(): answers to older requests are dropped. */
  private generation = 0;

  constructor(
    readonly runId: string,
    private readonly token: string | null,
    private readonly fetchFn: FetchLike = (input, init) => fetch(input, init),
  ) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): DataMapSnapshot => this.snapshot;

  private set(next: Partial<DataMapSnapshot>) {
    this.snapshot = { ...this.snapshot, ...next };
    for (const listener of this.listeners) listener();
  }

  /** (Re)fetches the points; ids already loaded are dropped with the old map. */
  load(): Promise<void> {
    this.abort();
    const generation = ++this.generation;
    const request = new AbortController();
    this.mapRequest = request;
    if (this.snapshot.map.status !== "loading" || this.snapshot.ids.status !== "idle") this.set({ map: { status: "loading" }, ids: { status: "idle" } });
    return this.fetchColumns(false, request.signal).then(
      (columns) => {
        if (generation !== this.generation) return;
        // Marks read by bench/web/data-map.ts: file decoded → arrays prepared → (canvas) drawn.
        performance.mark("gdc:data-map-received");
        const map = prepareDataMap(columns);
        performance.mark("gdc:data-map-prepared");
        this.mapRequest = null;
        this.set({ map: { status: "ready", map, serial: ++serials } });
        this.matchGovernance();
      },
      (err: unknown) => {
        if (generation !== this.generation) return;
        this.mapRequest = null;
        if (err instanceof HttpError && err.status === 404) this.set({ map: { status: "no-scores", message: err.message } });
        else this.set({ map: { status: "error", message: describe(err) } });
      },
    );
  }

  /**
   * Fetches the example ids for the map on screen, once (again after a failure). Does nothing
   * before the map is there or while the ids are on their way or loaded.
   */
  loadIds(): Promise<void> {
    const current = this.snapshot.map;
    if (current.status !== "ready" || this.snapshot.ids.status === "loading" || this.snapshot.ids.status === "ready") return Promise.resolve();
    const generation = this.generation;
    const request = new AbortController();
    this.idsRequest = request;
    this.set({ ids: { status: "loading" } });
    return this.fetchColumns(true, request.signal).then(
      (columns) => {
        if (generation !== this.generation || this.snapshot.map !== current) return;
        this.idsRequest = null;
        if (!columns.ids || columns.ids.count !== columns.count) {
          this.set({ ids: { status: "error", message: "The data map file has no example ids" } });
        } else if (samePoints(current.map, columns)) {
          this.set({ ids: { status: "ready", ids: columns.ids } });
        } else {
          // Re-scored since the points were fetched: this file is the run's map now, ids included.
          this.set({ map: { status: "ready", map: prepareDataMap(columns), serial: ++serials }, ids: { status: "ready", ids: columns.ids } });
          this.matchGovernance();
        }
      },
      (err: unknown) => {
        if (generation !== this.generation || this.snapshot.map !== current) return;
        this.idsRequest = null;
        this.set({ ids: { status: "error", message: describe(err) } });
      },
    );
  }

  /**
   * (Re)fetches the governance column — beside load() (the page starts both), and after a
   * proposal, so the map shows the points' new states without fetching the points again.
   */
  loadGovernance(): Promise<void> {
    this.governanceRequest?.abort();
    const generation = ++this.governanceGeneration;
    const request = new AbortController();
    this.governanceRequest = request;
    return this.fetchGovernance(request.signal).then(
      (column) => {
        if (generation !== this.governanceGeneration) return;
        this.governanceRequest = null;
        this.governanceColumn = column;
        this.matchGovernance();
      },
      (err: unknown) => {
        if (generation !== this.governanceGeneration) return;
        this.governanceRequest = null;
        this.set({ governance: { status: "error", message: describe(err) } });
      },
    );
  }

  /** Publishes the governance column once it and the map are there, if they agree. */
  private matchGovernance() {
    const map = this.snapshot.map;
    const column = this.governanceColumn;
    if (map.status !== "ready" || !column) return;
    if (column.count !== map.map.count || (column.runId !== null && map.map.runId !== null && column.runId !== map.map.runId)) {
      this.set({
        governance: { status: "error", message: `The governance column has ${column.count} rows, the map ${map.map.count} points; reload the page` },
      });
      return;
    }
    this.set({ governance: { status: "ready", flags: column.flags, serial: ++serials } });
  }

  private async fetchGovernance(signal: AbortSignal): Promise<GovernanceColumn> {
    const decoder = loadArrow();
    decoder.catch(() => {});
    let response: Response;
    try {
      response = await this.fetchFn(governanceUrl(this.runId), { headers: this.token ? { authorization: `Bearer ${this.token}` } : {}, signal });
    } catch (err) {
      throw new Error(`Network error: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!response.ok) throw new HttpError(response.status, await errorText(response));
    const bytes = new Uint8Array(await response.arrayBuffer());
    const { decodeGovernanceArrow } = await decoder;
    return decodeGovernanceArrow(bytes);
  }

  /** Stops whatever is on its way; load() starts again. */
  dispose(): void {
    this.generation++;
    this.governanceGeneration++;
    this.governanceRequest?.abort();
    this.governanceRequest = null;
    this.abort();
  }

  private abort() {
    this.mapRequest?.abort();
    this.idsRequest?.abort();
    this.mapRequest = null;
    this.idsRequest = null;
  }

  private async fetchColumns(ids: boolean, signal: AbortSignal): Promise<DataMapColumns> {
    const decoder = loadArrow();
    decoder.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    let response: Response;
    try {
      response = await this.fetchFn(dataMapUrl(this.runId, { ids }), {
        headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
        signal,
      });
    } catch (err) {
      throw new Error(`Network error: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!response.ok) throw new HttpError(response.status, await errorText(response));
    const bytes = new Uint8Array(await response.arrayBuffer());
    const { decodeDataMapArrow, DataMapFormatError } = await decoder;
    try {
      return decodeDataMapArrow(bytes);
    } catch (err) {
      throw err instanceof DataMapFormatError ? err : new DataMapFormatError(err instanceof Error ? err.message : String(err));
    }
  }
}

/** The API's own wording of an error answer (`{ errors: [{ message }] }`), else the status. */
async function errorText(response: Response): Promise<string> {
  const body = (await response.json().catch(() => null)) as { errors?: { message?: string }[] } | null;
  const messages = (body?.errors ?? []).map((e) => e.message).filter((m): m is string => typeof m === "string" && m.length > 0);
  return messages.length ? messages.join("; ") : `The API answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
}

function describe(err: unknown): string {
  if (err instanceof Error && err.name === "DataMapFormatError") return `The data map could not be read: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
