"use client";
import Link from "next/link";
import { useState } from "react";
import { useClient, useQuery, type CombinedError } from "urql";
import { ErrorNote, Loading, RequireSession, usePageTitle } from "../../components/Shell";
import { formatDate, formatInt, shortHash, summarizeJson } from "../../lib/format";
import { errorMessage } from "../../lib/session";
import { graphql, type ResultOf } from "../../lib/graphql";

const VERIFY = graphql(`
  query VerifyAuditChain {
    verifyAuditChain { ok checked headHash firstBrokenSeq reason }
  }
`);

const EVENTS = graphql(`
  query AuditEvents($first: Int, $after: String, $targetType: String) {
    auditEvents(first: $first, after: $after, targetType: $targetType) {
      nodes { seq at actorLabel action targetType targetId before after prevHash hash }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

type AuditEventsData = ResultOf<typeof EVENTS>;
type AuditEvent = AuditEventsData["auditEvents"]["nodes"][number];

const TARGET_PAGES: Record<string, string> = {
  Dataset: "/datasets/",
  DatasetVersion: "/versions/",
  Run: "/runs/",
  Study: "/studies/",
};

function TargetLink({ type, id }: { type: string; id: string }) {
  const base = TARGET_PAGES[type];
  const label = (
    <>
      {type} <span className="mono">{id.slice(0, 8)}</span>
    </>
  );
  return base ? <Link href={`${base}${id}`}>{label}</Link> : label;
}

const TARGET_TYPES = ["Dataset", "DatasetVersion", "Example", "Run", "Intervention", "Release", "Study", "User", "ApiToken"];
const PAGE = 50;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const brief = (value: unknown) => (value === undefined ? "—" : summarizeJson(value, 80));

/** What an event changed, field by field: "status: DRAFT → RELEASED"; the raw JSON stays one click away. */
function ChangeSummary({ before, after }: { before: unknown; after: unknown }) {
  const lines: { key: string; text: string }[] = [];
  if (isRecord(before) || isRecord(after)) {
    const b = isRecord(before) ? before : {};
    const a = isRecord(after) ? after : {};
    for (const key of [...new Set([...Object.keys(b), ...Object.keys(a)])]) {
      const old = b[key];
      const now = a[key];
      if (JSON.stringify(old) === JSON.stringify(now)) continue;
      lines.push({ key, text: key in b && key in a ? `${brief(old)} → ${brief(now)}` : key in a ? brief(now) : `${brief(old)} → (removed)` });
    }
  } else if (before !== null || after !== null) {
    lines.push({ key: "value", text: `${brief(before)} → ${brief(after)}` });
  }
  const shown = lines.slice(0, 6);
  return (
    <div className="change">
      {shown.length ? (
        <dl className="facts change-facts">
          {shown.map((l) => (
            <div key={l.key} style={{ display: "contents" }}>
              <dt>{l.key}</dt>
              <dd className="mono">{l.text}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <span className="muted">no field changed</span>
      )}
      <details>
        <summary>{lines.length > shown.length ? `${lines.length - shown.length} more fields, raw JSON` : "Raw JSON"}</summary>
        <div className="mono" style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
          before: {JSON.stringify(before, null, 1) ?? "—"}
          {"\n"}after: {JSON.stringify(after, null, 1) ?? "—"}
        </div>
      </details>
    </div>
  );
}

interface EventFilter {
  search: string;
  since: string;
}

function matches(e: AuditEvent, f: EventFilter): boolean {
  if (f.since && e.at < new Date(`${f.since}T00:00:00Z`).toISOString()) return false;
  const needle = f.search.trim().toLowerCase();
  if (!needle) return true;
  return `${e.actorLabel}\n${e.action}\n${e.targetType}\n${e.targetId}`.toLowerCase().includes(needle);
}

const csvCell = (value: unknown) => {
  const text = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** Events per request when exporting (the API's largest page), and at most this many in one file. */
const EXPORT_PAGE = 500;
const EXPORT_MAX = 100_000;

export default function AuditRoute() {
  usePageTitle("Audit log");
  return <RequireSession>{() => <AuditLog />}</RequireSession>;
}

function AuditLog() {
  const [verify, reverify] = useQuery({
    query: VERIFY,
    requestPolicy: "network-only",
  });
  const [targetType, setTargetType] = useState("");
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const [filter, setFilter] = useState<EventFilter>({ search: "", since: "" });
  const [exporting, setExporting] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const client = useClient();
  const v = verify.data?.verifyAuditChain;

  /** Every event of the chosen target type (and filters), with both chain hashes, as CSV or JSONL. */
  async function exportEvents(format: "csv" | "jsonl") {
    setExportError(null);
    const events: AuditEvent[] = [];
    let after: string | null = null;
    try {
      for (;;) {
        setExporting(`Exporting… ${formatInt(events.length)} events`);
        const r: { data?: AuditEventsData; error?: CombinedError } = await client
          .query(EVENTS, { first: EXPORT_PAGE, after, targetType: targetType || null }, { requestPolicy: "network-only" })
          .toPromise();
        if (r.error || !r.data) throw new Error(errorMessage(r.error) ?? "the audit events could not be read");
        events.push(...r.data.auditEvents.nodes.filter((e) => matches(e, filter)));
        const { hasNextPage, endCursor }: AuditEventsData["auditEvents"]["pageInfo"] = r.data.auditEvents.pageInfo;
        if (!hasNextPage || !endCursor || events.length >= EXPORT_MAX) break;
        after = endCursor;
      }
      const columns = ["seq", "at", "actorLabel", "action", "targetType", "targetId", "before", "after", "prevHash", "hash"] as const;
      const body =
        format === "csv"
          ? [columns.join(","), ...events.map((e) => columns.map((c) => csvCell(e[c])).join(","))].join("\r\n") + "\r\n"
          : events.map((e) => JSON.stringify(e)).join("\n") + "\n";
      const url = URL.createObjectURL(new Blob([body], { type: format === "csv" ? "text/csv" : "application/x-ndjson" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = `audit-events${targetType ? `-${targetType}` : ""}.${format}`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setExportError(`The export failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setExporting(null);
    }
  }

  return (
    <div>
      <h1>Audit log</h1>
      {verify.fetching && !v ? <Loading what="the chain verification" /> : null}
      <ErrorNote message={errorMessage(verify.error)} />
      {v ? (
        <div className={`verify ${v.ok ? "verify-ok" : "verify-broken"}`} role="status" data-testid="audit-verify">
          {v.ok ? (
            <>
              <strong>✓ Audit chain verified</strong> — {formatInt(v.checked)} events checked, none altered. Head hash{" "}
              <span className="hash" title={v.headHash}>
                {shortHash(v.headHash, 16)}
              </span>
            </>
          ) : (
            <>
              <strong>✗ Audit chain BROKEN</strong> at event #{v.firstBrokenSeq ?? "?"}
              {v.reason ? `: ${v.reason}` : ""} ({formatInt(v.checked)} events checked). Events from there on cannot be trusted.
            </>
          )}{" "}
          <button type="button" onClick={() => reverify({ requestPolicy: "network-only" })} disabled={verify.fetching}>
            Verify again
          </button>
        </div>
      ) : null}
      <div className="row" style={{ marginBottom: "0.75rem" }}>
        <label htmlFor="audit-target-type">Target type</label>
        <select
          id="audit-target-type"
          value={targetType}
          onChange={(e) => {
            setTargetType(e.target.value);
            setPages([null]);
          }}
        >
          <option value="">All</option>
          {TARGET_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <label htmlFor="audit-search">Search</label>
        <input
          id="audit-search"
          type="search"
          placeholder="who, action, target id"
          value={filter.search}
          onChange={(e) => setFilter((f) => ({ ...f, search: e.target.value }))}
        />
        <label htmlFor="audit-since">Since</label>
        <input id="audit-since" type="date" value={filter.since} onChange={(e) => setFilter((f) => ({ ...f, since: e.target.value }))} />
        <button type="button" onClick={() => void exportEvents("csv")} disabled={Boolean(exporting)}>
          Export CSV
        </button>
        <button type="button" onClick={() => void exportEvents("jsonl")} disabled={Boolean(exporting)}>
          Export JSONL
        </button>
        {exporting ? (
          <span className="muted" role="status">
            {exporting}
          </span>
        ) : null}
      </div>
      <ErrorNote message={exportError} />
      <p className="muted">
        Exports hold every matching event with its hash and the previous event&apos;s hash, so the chain can be checked outside the product. Search and date
        filter the loaded pages; load more to search further back.
      </p>
      <div className="table-scroll">
        <table className="audit-table">
          <caption className="sr-only">Audit events</caption>
          <thead>
            <tr>
              <th scope="col" className="num">
                #
              </th>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Change</th>
              <th scope="col">Hash</th>
            </tr>
          </thead>
          {pages.map((after, i) => (
            <AuditEventsPage
              key={`${targetType}:${after ?? "first"}`}
              after={after}
              targetType={targetType || null}
              isLast={i === pages.length - 1}
              onMore={(cursor) => setPages((prev) => [...prev, cursor])}
              filter={filter}
            />
          ))}
        </table>
      </div>
    </div>
  );
}

function AuditEventsPage({
  after,
  targetType,
  isLast,
  onMore,
  filter,
}: {
  after: string | null;
  targetType: string | null;
  isLast: boolean;
  onMore: (cursor: string) => void;
  filter: EventFilter;
}) {
  const [result] = useQuery({
    query: EVENTS,
    variables: { first: PAGE, after, targetType },
    requestPolicy: "cache-and-network",
  });
  const events = (result.data?.auditEvents.nodes ?? []).filter((e) => matches(e, filter));
  const pageInfo = result.data?.auditEvents.pageInfo;
  return (
    <tbody>
      {result.error ? (
        <tr>
          <td colSpan={7}>
            <ErrorNote message={errorMessage(result.error)} />
          </td>
        </tr>
      ) : null}
      {result.fetching && !result.data ? (
        <tr>
          <td colSpan={7}>
            <Loading what="events" />
          </td>
        </tr>
      ) : null}
      {result.data && events.length === 0 && after === null ? (
        <tr>
          <td colSpan={7} className="muted">
            No events.
          </td>
        </tr>
      ) : null}
      {events.map((e) => (
        <tr key={e.seq}>
          <td className="num">{e.seq}</td>
          <td className="nowrap">{formatDate(e.at)}</td>
          <td>{e.actorLabel}</td>
          <td>
            <code>{e.action}</code>
          </td>
          <td>
            <TargetLink type={e.targetType} id={e.targetId} />
          </td>
          <td>
            <ChangeSummary before={e.before} after={e.after} />
          </td>
          <td className="hash" title={`hash ${e.hash}\nprevious ${e.prevHash}`}>
            {shortHash(e.hash, 10)}
          </td>
        </tr>
      ))}
      {isLast && pageInfo?.hasNextPage && pageInfo.endCursor ? (
        <tr>
          <td colSpan={7}>
            <button type="button" onClick={() => onMore(pageInfo.endCursor!)}>
              Load more events
            </button>
          </td>
        </tr>
      ) : null}
    </tbody>
  );
}
