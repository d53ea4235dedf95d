import { describe, expect, it } from "vitest";
import { Field, RecordBatch, Schema, Struct, Table, Uint8, makeData, tableToIPC } from "apache-arrow";
import { DataMapSource, dataMapUrl, governanceUrl, type DataMapSnapshot } from "../src/data-map/source";
import { TEN, dataMapFile, type FixturePoint } from "./arrow-fixture";

const RUN = "11111111-2222-4333-8444-555555555555";

interface Call {
  url: string;
  authorization: string | null;
}

/** A fetch that answers from `routes` (by URL) and records what it was asked. */
function fakeFetch(routes: Record<string, () => Response | Promise<Response>>) {
  const calls: Call[] = [];
  const fn = async (input: string, init: RequestInit) => {
    calls.push({ url: input, authorization: new Headers(init.headers).get("authorization") });
    const route = routes[input];
    if (!route) throw new Error(`unexpected request ${input}`);
    return route();
  };
  return { fn, calls };
}

const arrow =
  (points: FixturePoint[], ids = false) =>
  () =>
    new Response(dataMapFile(points, { ids, runId: RUN }) as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: { "content-type": "application/vnd.apache.arrow.file" },
    });
const jsonError = (status: number, code: string, message: string) => () => Response.json({ errors: [{ message, extensions: { code } }] }, { status });

const ready = (s: DataMapSnapshot) => {
  if (s.map.status !== "ready") throw new Error(`map is ${s.map.status}`);
  return s.map;
};

describe("DataMapSource", () => {
  it("fetches the points with the session's token, decodes and prepares them, and marks the timeline", async () => {
    const { fn, calls } = fakeFetch({ [dataMapUrl(RUN)]: arrow(TEN) });
    const source = new DataMapSource(RUN, "tok-1", fn);
    let notified = 0;
    source.subscribe(() => notified++);
    expect(source.getSnapshot().map.status).toBe("loading");
    performance.clearMarks();
    await source.load();
    expect(calls).toEqual([{ url: `/export/runs/${RUN}/data-map.arrow`, authorization: "Bearer tok-1" }]);
    const { map } = ready(source.getSnapshot());
    expect(map.count).toBe(10);
    expect(map.canaryIndices).toEqual([1, 7, 8]);
    expect(source.getSnapshot().ids.status).toBe("idle");
    expect(notified).toBeGreaterThan(0);
    expect(performance.getEntriesByName("gdc:data-map-received")).toHaveLength(1);
    expect(performance.getEntriesByName("gdc:data-map-prepared")).toHaveLength(1);
  });

  it("404 is a run without scores; 401 and other errors show the API's message; a network failure says so", async () => {
    const noScores = new DataMapSource(RUN, "t", fakeFetch({ [dataMapUrl(RUN)]: jsonError(404, "NOT_FOUND", `Run ${RUN} has no scores yet`) }).fn);
    await noScores.load();
    expect(noScores.getSnapshot().map).toEqual({ status: "no-scores", message: `Run ${RUN} has no scores yet` });

    const unauthenticated = new DataMapSource(
      RUN,
      "bad",
      fakeFetch({ [dataMapUrl(RUN)]: jsonError(401, "UNAUTHENTICATED", "A valid API token is required") }).fn,
    );
    await unauthenticated.load();
    expect(unauthenticated.getSnapshot().map).toEqual({ status: "error", message: "A valid API token is required" });

    const down = new DataMapSource(RUN, "t", fakeFetch({ [dataMapUrl(RUN)]: () => new Response("<html>", { status: 502 }) }).fn);
    await down.load();
    expect(down.getSnapshot().map).toEqual({ status: "error", message: "The API answered 502" });

    const offline = new DataMapSource(RUN, "t", async () => {
      throw new TypeError("Failed to fetch");
    });
    await offline.load();
    expect(offline.getSnapshot().map).toEqual({ status: "error", message: "Network error: Failed to fetch" });

    const garbage = new DataMapSource(RUN, "t", fakeFetch({ [dataMapUrl(RUN)]: () => new Response(Uint8Array.of(1, 2, 3)) }).fn);
    await garbage.load();
    expect(garbage.getSnapshot().map.status).toBe("error");
  });

  it("loads the ids once, after the points, and pairs them with the points they were fetched with", async () => {
    const { fn, calls } = fakeFetch({ [dataMapUrl(RUN)]: arrow(TEN), [dataMapUrl(RUN, { ids: true })]: arrow(TEN, true) });
    const source = new DataMapSource(RUN, "t", fn);
    await source.loadIds(); // before the map: nothing to pair them with
    expect(calls).toHaveLength(0);
    await source.load();
    const before = ready(source.getSnapshot());
    const first = source.loadIds();
    expect(source.getSnapshot().ids.status).toBe("loading");
    await Promise.all([first, source.loadIds()]);
    expect(calls.map((c) => c.url)).toEqual([`/export/runs/${RUN}/data-map.arrow`, `/export/runs/${RUN}/data-map.arrow?include=ids`]);
    const snapshot = source.getSnapshot();
    expect(ready(snapshot)).toBe(before); // same points: the map on screen stays
    if (snapshot.ids.status !== "ready") throw new Error(snapshot.ids.status);
    expect(snapshot.ids.ids.get(7)).toBe(TEN[7]!.id);
    await source.loadIds();
    expect(calls).toHaveLength(2);
  });

  it("a run re-scored between the two files: the newer file becomes the map, with its ids", async () => {
    const rescored = TEN.map((p, i) => (i === 3 ? { ...p, difficulty: 9, quadrant: "AMBIGUOUS_HARD" } : p));
    const source = new DataMapSource(RUN, "t", fakeFetch({ [dataMapUrl(RUN)]: arrow(TEN), [dataMapUrl(RUN, { ids: true })]: arrow(rescored, true) }).fn);
    await source.load();
    const old = ready(source.getSnapshot());
    await source.loadIds();
    const now = ready(source.getSnapshot());
    expect(now.serial).not.toBe(old.serial);
    expect(now.map.difficulty[3]).toBe(9);
    expect(source.getSnapshot().ids.status).toBe("ready");
  });

  it("an ids failure is reported and retried on the next request for them", async () => {
    let fail = true;
    const source = new DataMapSource(
      RUN,
      "t",
      fakeFetch({
        [dataMapUrl(RUN)]: arrow(TEN),
        [dataMapUrl(RUN, { ids: true })]: () => (fail ? jsonError(500, "INTERNAL_SERVER_ERROR", "boom")() : arrow(TEN, true)()),
      }).fn,
    );
    await source.load();
    await source.loadIds();
    expect(source.getSnapshot().ids).toEqual({ status: "error", message: "boom" });
    fail = false;
    await source.loadIds();
    expect(source.getSnapshot().ids.status).toBe("ready");
  });

  it("answers that arrive after dispose() or a newer load() are dropped", async () => {
    let release: (r: Response) => void = () => {};
    const slow = new Promise<Response>((resolve) => (release = resolve));
    const source = new DataMapSource(RUN, "t", fakeFetch({ [dataMapUrl(RUN)]: () => slow }).fn);
    const pending = source.load();
    source.dispose();
    release(arrow(TEN)());
    await pending;
    expect(source.getSnapshot().map.status).toBe("loading");

    // Reloading drops the ids that belonged to the previous map.
    const again = new DataMapSource(RUN, "t", fakeFetch({ [dataMapUrl(RUN)]: arrow(TEN), [dataMapUrl(RUN, { ids: true })]: arrow(TEN, true) }).fn);
    await again.load();
    await again.loadIds();
    expect(again.getSnapshot().ids.status).toBe("ready");
    const reload = again.load();
    expect(again.getSnapshot()).toEqual({ map: { status: "loading" }, ids: { status: "idle" }, governance: { status: "loading" } });
    await reload;
    expect(again.getSnapshot().ids.status).toBe("idle");
  });

  it("fetches the governance column beside the points, publishes it once both agree, and again on request", async () => {
    const governanceFile =
      (flags: number[], runId = RUN) =>
      () => {
        const fields = [new Field("governance", new Uint8(), false)];
        const schema = new Schema(
          fields,
          new Map([
            ["gdc.format", "gdc.governance/1"],
            ["gdc.runId", runId],
            ["gdc.count", String(flags.length)],
          ]),
        );
        const data = makeData({
          type: new Struct(fields),
          length: flags.length,
          children: [makeData({ type: new Uint8(), length: flags.length, data: Uint8Array.from(flags) })],
        });
        return new Response(tableToIPC(new Table(schema, [new RecordBatch(schema, data)]), "file") as Uint8Array<ArrayBuffer>);
      };
    let flags = [0, 1, 0, 0, 2, 0, 0, 4, 8, 0];
    const { fn, calls } = fakeFetch({ [dataMapUrl(RUN)]: arrow(TEN), [governanceUrl(RUN)]: () => governanceFile(flags)() });
    const source = new DataMapSource(RUN, "t", fn);
    // The column first: held back until the map is there to check it against.
    await source.loadGovernance();
    expect(source.getSnapshot().governance.status).toBe("loading");
    await source.load();
    const ready = source.getSnapshot().governance;
    expect(ready.status === "ready" && [...ready.flags]).toEqual(flags);
    expect(calls.map((c) => c.url)).toEqual([`/export/runs/${RUN}/governance.arrow`, `/export/runs/${RUN}/data-map.arrow`]);

    flags = [1, 1, 0, 0, 2, 0, 0, 5, 8, 0];
    await source.loadGovernance();
    const again = source.getSnapshot().governance;
    expect(again.status === "ready" && [...again.flags]).toEqual(flags);

    // A column that does not fit the map is an error, not a wrong outline.
    const short = new DataMapSource(RUN, "t", fakeFetch({ [dataMapUrl(RUN)]: arrow(TEN), [governanceUrl(RUN)]: governanceFile([0, 1]) }).fn);
    await short.load();
    await short.loadGovernance();
    expect(short.getSnapshot().governance).toMatchObject({ status: "error", message: expect.stringMatching(/2 rows, the map 10 points/) });
  });
});
