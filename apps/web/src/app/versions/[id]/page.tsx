"use client";
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { ErrorNote, JsonBlock, Loading, RequireSession, StatusBadge } from "../../../components/Shell";
import { formatDate, formatInt, formatNumber, shortHash } from "../../../lib/format";
import { can, errorMessage, type Me } from "../../../lib/session";

const VERSION = /* GraphQL */ `
  query Version($id: ID!, $rows: Int) {
    version(id: $id) {
      id
      number
      status
      note
      contentHash
      createdAt
      releasedAt
      exampleCount
      canaryCount
      dataset { id name releaseGate { maxExtractionRatio maxPerplexityIncrease } }
      parent { id number contentHash }
      runs { id name kind status epochs createdAt finishedAt }
      proposed: interventions(status: PROPOSED, first: 500) { id }
      approved: interventions(status: APPROVED, first: 500) { id }
      rejected: interventions(status: REJECTED, first: 500) { id }
      applied: interventions(status: APPLIED, first: 500) { id }
      gateVerdict { passed reasons studyId }
      release { id contentHash lineage gateVerdict overrideReason createdAt releasedBy { id name } }
      latestStudy { id status createdAt }
      diff(first: $rows) {
        parent { id number }
        removedCount
        reweightedCount
        addedCount
        rows {
          edges {
            change
            parentWeight
            weight
            reason
            example { id key text }
            intervention { id action weight status run { id } }
          }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  }
`;

const RELEASE = /* GraphQL */ `
  mutation ReleaseVersion($input: ReleaseInput!) {
    releaseVersion(input: $input) {
      id
      contentHash
      createdAt
      version { id status contentHash releasedAt }
    }
  }
`;

const START_STUDY = /* GraphQL */ `
  mutation StartStudy($input: StartStudyInput!) { startStudy(input: $input) { id status } }
`;

interface DiffRow {
  change: string;
  parentWeight: number | null;
  weight: number | null;
  reason: string | null;
  example: { id: string; key: string; text: string | null };
  intervention: { id: string; action: string; weight: number; status: string; run: { id: string } | null } | null;
}

interface VersionData {
  version: {
    id: string;
    number: number;
    status: string;
    note: string;
    contentHash: string | null;
    createdAt: string;
    releasedAt: string | null;
    exampleCount: number;
    canaryCount: number;
    dataset: { id: string; name: string; releaseGate: { maxExtractionRatio: number | null; maxPerplexityIncrease: number | null } | null };
    parent: { id: string; number: number; contentHash: string | null } | null;
    runs: { id: string; name: string; kind: string; status: string; epochs: number; createdAt: string; finishedAt: string | null }[];
    proposed: { id: string }[];
    approved: { id: string }[];
    rejected: { id: string }[];
    applied: { id: string }[];
    gateVerdict: { passed: boolean; reasons: string[]; studyId: string | null } | null;
    release: {
      id: string;
      contentHash: string;
      lineage: unknown;
      gateVerdict: unknown;
      overrideReason: string | null;
      createdAt: string;
      releasedBy: { id: string; name: string };
    } | null;
    latestStudy: { id: string; status: string; createdAt: string } | null;
    diff: {
      parent: { id: string; number: number } | null;
      removedCount: number;
      reweightedCount: number;
      addedCount: number;
      rows: { edges: DiffRow[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    };
  } | null;
}

/** Intervention lists are fetched up to the API's page size; more shows as "500+". */
const COUNT_PAGE = 500;
/** The API's largest page. */
const MAX_ROWS = 500;
const countLabel = (list: unknown[]) => (list.length >= COUNT_PAGE ? `${formatInt(COUNT_PAGE)}+` : formatInt(list.length));

export default function VersionPage() {
  return <RequireSession>{(me) => <Version me={me} />}</RequireSession>;
}

function Version({ me }: { me: Me }) {
  const { id } = useParams<{ id: string }>();
  const [rows, setRows] = useState(100);
  const [result] = useQuery<VersionData>({ query: VERSION, variables: { id, rows } });
  const version = result.data?.version;
  if (result.fetching && !result.data) return <Loading what="version" />;
  if (result.error && !version) return <ErrorNote message={errorMessage(result.error)} />;
  if (!version) return <p>Version not found.</p>;
  const diff = version.diff;

  return (
    <div>
      <p className="muted">
        <Link href="/datasets">Datasets</Link> / <Link href={`/datasets/${version.dataset.id}`}>{version.dataset.name}</Link> /
      </p>
      <h1>
        {version.dataset.name} — version {version.number} <StatusBadge status={version.status} />
      </h1>
      <div className="grid-2">
        <section className="card" aria-labelledby="facts-title">
          <h2 id="facts-title" style={{ marginTop: 0 }}>
            Version
          </h2>
          <dl className="facts">
            <dt>Note</dt>
            <dd>{version.note || "—"}</dd>
            <dt>Parent</dt>
            <dd>{version.parent ? <Link href={`/versions/${version.parent.id}`}>version {version.parent.number}</Link> : "none (first version)"}</dd>
            <dt>Examples</dt>
            <dd>{formatInt(version.exampleCount)}</dd>
            <dt>Canaries</dt>
            <dd>{formatInt(version.canaryCount)} (never released)</dd>
            <dt>Interventions</dt>
            <dd>
              {countLabel(version.proposed)} proposed · {countLabel(version.approved)} approved · {countLabel(version.rejected)} rejected ·{" "}
              {countLabel(version.applied)} applied
            </dd>
            <dt>Created</dt>
            <dd>{formatDate(version.createdAt)}</dd>
          </dl>
          <h3>Runs</h3>
          {version.runs.length === 0 ? <p className="muted">No runs on this version.</p> : null}
          <ul>
            {version.runs.map((r) => (
              <li key={r.id}>
                <Link href={`/runs/${r.id}`}>{r.name}</Link> <StatusBadge status={r.status} /> <span className="muted">({r.kind.toLowerCase()}, {r.epochs} epochs)</span>
              </li>
            ))}
          </ul>
        </section>
        <ReleasePanel me={me} version={version} />
      </div>

      <section aria-labelledby="diff-title">
        <h2 id="diff-title">Changes against {diff.parent ? `version ${diff.parent.number}` : "the imported examples"}</h2>
        <p data-testid="diff-summary">
          <strong>{formatInt(diff.removedCount)}</strong> removed · <strong>{formatInt(diff.reweightedCount)}</strong> re-weighted ·{" "}
          <strong>{formatInt(diff.addedCount)}</strong> added
        </p>
        {diff.rows.edges.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Change</th>
                <th scope="col">Example</th>
                <th scope="col" className="num">
                  Weight
                </th>
                <th scope="col">Intervention</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {diff.rows.edges.map((row) => (
                <tr key={`${row.example.id}:${row.change}`}>
                  <td>
                    <StatusBadge status={row.change} />
                  </td>
                  <td>
                    <code>{row.example.key}</code>
                    <div className="muted">{row.example.text ?? "(redacted)"}</div>
                  </td>
                  <td className="num">
                    {formatNumber(row.parentWeight)} → {row.change === "REMOVED" ? "removed" : formatNumber(row.weight)}
                  </td>
                  <td>
                    {row.intervention ? (
                      <>
                        {row.intervention.action}
                        {row.intervention.run ? (
                          <>
                            {" "}
                            · <Link href={`/runs/${row.intervention.run.id}/examples/${row.example.id}`}>evidence</Link>
                          </>
                        ) : null}
                      </>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td>{row.reason ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">No row-level changes.</p>
        )}
        {diff.rows.pageInfo.hasNextPage && rows < MAX_ROWS ? (
          <button type="button" onClick={() => setRows((n) => Math.min(MAX_ROWS, n + 100))} style={{ marginTop: "0.5rem" }}>
            Show more rows
          </button>
        ) : null}
        {diff.rows.pageInfo.hasNextPage && rows >= MAX_ROWS ? (
          <p className="muted">The first {formatInt(MAX_ROWS)} changed rows are shown; `gdc export` writes the whole version.</p>
        ) : null}
      </section>
    </div>
  );
}

function ReleasePanel({ me, version }: { me: Me; version: NonNullable<VersionData["version"]> }) {
  const router = useRouter();
  const [overrideReason, setOverrideReason] = useState("");
  const [release, releaseVersion] = useMutation(RELEASE);
  const [study, startStudy] = useMutation<{ startStudy: { id: string } }>(START_STUDY);
  const gate = version.gateVerdict;
  const blocked = gate ? !gate.passed : false;
  const mayRelease = can(me, "releaseVersion");
  const mayOverride = me.canOverrideReleaseGate;

  async function onRelease(event: FormEvent) {
    event.preventDefault();
    await releaseVersion({ input: { versionId: version.id, ...(blocked && overrideReason.trim() ? { overrideReason: overrideReason.trim() } : {}) } });
  }

  async function onStartStudy() {
    const r = await startStudy({ input: { versionId: version.id } });
    if (r.data) router.push(`/studies/${r.data.startStudy.id}`);
  }

  return (
    <section className="card" aria-labelledby="release-title">
      <h2 id="release-title" style={{ marginTop: 0 }}>
        Release
      </h2>
      {version.status === "RELEASED" ? (
        <div className="stack">
          <p className="success">
            Released {formatDate(version.releasedAt ?? version.release?.createdAt)}
            {version.release ? ` by ${version.release.releasedBy.name}` : ""}. This version can no longer change.
          </p>
          <div>
            Content hash:{" "}
            <span className="hash" data-testid="content-hash">
              {version.contentHash ?? version.release?.contentHash}
            </span>
          </div>
          {version.release?.overrideReason ? <p className="notice">Gate overridden: {version.release.overrideReason}</p> : null}
          <JsonBlock label="Lineage" value={version.release?.lineage} />
          <JsonBlock label="Gate verdict at release" value={version.release?.gateVerdict} />
        </div>
      ) : (
        <form onSubmit={onRelease} className="stack">
          <p>
            Releasing applies the {countLabel(version.approved)} approved intervention{version.approved.length === 1 ? "" : "s"}, leaves out
            canaries and proposals still waiting for review, and fixes the version&apos;s content for good.
          </p>
          <div data-testid="gate-verdict" className={gate ? (gate.passed ? "success" : "error") : "notice"}>
            {gate === null ? (
              "Release gate: none set for this dataset."
            ) : gate.passed ? (
              "Release gate: passed."
            ) : (
              <>
                <strong>Release gate: blocked.</strong>
                <ul>
                  {gate.reasons.map((r) => (
                    <li key={r}>{r}</li>
                  ))}
                </ul>
              </>
            )}
            {gate?.studyId ? (
              <>
                {" "}
                <Link href={`/studies/${gate.studyId}`}>See the study</Link>
              </>
            ) : null}
          </div>
          {blocked && mayOverride ? (
            <div className="field">
              <label htmlFor="override-reason">Override reason (admins only, audited)</label>
              <input id="override-reason" type="text" required value={overrideReason} onChange={(e) => setOverrideReason(e.target.value)} />
            </div>
          ) : null}
          <ErrorNote message={errorMessage(release.error)} />
          {mayRelease ? (
            <button type="submit" className="primary" disabled={release.fetching || (blocked && (!mayOverride || !overrideReason.trim()))}>
              {blocked && mayOverride ? `Override the gate and release version ${version.number}` : `Release version ${version.number}`}
            </button>
          ) : (
            <p className="muted">Your role ({me.role}) cannot release versions.</p>
          )}
          {blocked && mayRelease && !mayOverride ? <p className="muted">Your role cannot override a blocked gate.</p> : null}
        </form>
      )}
      <h3>Intervention study</h3>
      {version.latestStudy ? (
        <p>
          Latest: <Link href={`/studies/${version.latestStudy.id}`}>study of {formatDate(version.latestStudy.createdAt)}</Link>{" "}
          <StatusBadge status={version.latestStudy.status} />
        </p>
      ) : (
        <p className="muted">No study yet: it retrains on the original and the curated data and compares canary extraction, exposure and perplexity.</p>
      )}
      {can(me, "startStudy") ? (
        <button type="button" onClick={onStartStudy} disabled={study.fetching}>
          Start a study
        </button>
      ) : null}
      <ErrorNote message={errorMessage(study.error)} />
      <p className="muted" style={{ marginTop: "0.75rem" }}>
        Parent hash: <span className="hash">{shortHash(version.parent?.contentHash, 16)}</span>
      </p>
    </section>
  );
}
