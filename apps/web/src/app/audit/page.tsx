"use client";
import Link from "next/link";
import { useState } from "react";
import { useQuery } from "urql";
import { ErrorNote, Loading, RequireSession, usePageTitle } from "../../components/Shell";
import { formatDate, formatInt, shortHash, summarizeJson } from "../../lib/format";
import { errorMessage } from "../../lib/session";

const VERIFY = /* GraphQL */ `
  query VerifyAuditChain {
    verifyAuditChain { ok checked headHash firstBrokenSeq reason }
  }
`;

const EVENTS = /* GraphQL */ `
  query AuditEvents($first: Int, $after: String, $targetType: String) {
    auditEvents(first: $first, after: $after, targetType: $targetType) {
      edges { seq at actorLabel action targetType targetId before after prevHash hash }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

interface AuditEvent {
  seq: string;
  at: string;
  actorLabel: string;
  action: string;
  targetType: string;
  targetId: string;
  before: unknown;
  after: unknown;
  prevHash: string;
  hash: string;
}

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

export default function AuditRoute() {
  usePageTitle("Audit log");
  return <RequireSession>{() => <AuditLog />}</RequireSession>;
}

function AuditLog() {
  const [verify, reverify] = useQuery<{ verifyAuditChain: { ok: boolean; checked: number; headHash: string; firstBrokenSeq: string | null; reason: string | null } }>({
    query: VERIFY,
    requestPolicy: "network-only",
  });
  const [targetType, setTargetType] = useState("");
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const v = verify.data?.verifyAuditChain;

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
      </div>
      <table>
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
          />
        ))}
      </table>
    </div>
  );
}

function AuditEventsPage({ after, targetType, isLast, onMore }: { after: string | null; targetType: string | null; isLast: boolean; onMore: (cursor: string) => void }) {
  const [result] = useQuery<{ auditEvents: { edges: AuditEvent[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>({
    query: EVENTS,
    variables: { first: PAGE, after, targetType },
    requestPolicy: "cache-and-network",
  });
  const events = result.data?.auditEvents.edges ?? [];
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
          <td>{formatDate(e.at)}</td>
          <td>{e.actorLabel}</td>
          <td>
            <code>{e.action}</code>
          </td>
          <td>
            <TargetLink type={e.targetType} id={e.targetId} />
          </td>
          <td>
            <details>
              <summary className="mono">{summarizeJson(e.after ?? e.before, 60)}</summary>
              <div className="mono" style={{ whiteSpace: "pre-wrap" }}>
                before: {JSON.stringify(e.before, null, 1) ?? "—"}
                {"\n"}after: {JSON.stringify(e.after, null, 1) ?? "—"}
              </div>
            </details>
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
