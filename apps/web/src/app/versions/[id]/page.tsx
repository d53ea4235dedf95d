"use client";
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { ErrorNote, JsonBlock, Loading, RequireSession, StatusBadge, usePageTitle } from "../../../components/Shell";
import { formatDate, formatInt, formatNumber, shortHash } from "../../../lib/format";
import { downloadWithToken } from "../../../lib/authorized-download";
import { can, errorMessage, type Me } from "../../../lib/session";
import { graphql, type ResultOf } from "../../../lib/graphql";
import { ImportExamples } from "../../../governance/ImportExamples";
import { PolicyProposal } from "../../../governance/PolicyProposal";
import { StartRunForm } from "../../../governance/StartRunForm";

const VERSION = graphql(`
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
      lineage { released parent { id number } runs { run { id name } trainedOn { id number } onDraft } }
      proposed: interventions(status: PROPOSED, first: 1) { totalCount }
      approved: interventions(status: APPROVED, first: 1) { totalCount }
      rejected: interventions(status: REJECTED, first: 1) { totalCount }
      applied: interventions(status: APPLIED, first: 1) { totalCount }
      gateVerdict { passed reasons studyId }
      release { id contentHash lineage gateVerdict overrideReason createdAt releasedBy { id name } }
      latestStudy { id status createdAt }
      releaseChanges {
        released
        prunedCount
        downweightedCount
        canariesLeftOutCount
        pendingProposalsCount
        examplesBefore
        examplesAfter
        canaryRowsKnown
      }
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
`);

const RELEASE_CHANGE_ROWS = graphql(`
  query ReleaseChangeRows($id: ID!, $first: Int, $after: String) {
    version(id: $id) {
      id
      releaseChanges(first: $first, after: $after) {
        rows {
          edges {
            change
            weightBefore
            weightAfter
            reason
            example { id key text }
            intervention { id action run { id } }
          }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  }
`);

const CLOSED_PROPOSALS = graphql(`
  query ClosedProposals($id: ID!, $first: Int, $after: ID) {
    version(id: $id) {
      id
      interventions(status: PROPOSED, first: $first, after: $after) {
        nodes {
          id
          action
          weight
          createdAt
          example { id key }
          run { id }
          proposedBy { id name }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

const RELEASE = graphql(`
  mutation ReleaseVersion($input: ReleaseInput!) {
    releaseVersion(input: $input) {
      id
      contentHash
      createdAt
      version { id status contentHash releasedAt }
    }
  }
`);

const START_STUDY = graphql(`
  mutation StartStudy($input: StartStudyInput!) { startStudy(input: $input) { id status } }
`);

type VersionData = ResultOf<typeof VERSION>;
type ReleaseChanges = NonNullable<VersionData["version"]>["releaseChanges"];

/** The API's largest page. */
const MAX_ROWS = 500;
/** An intervention connection's totalCount (every one of that status, not only a page). */
const countLabel = (connection: { totalCount: number }) => formatInt(connection.totalCount);

export default function VersionPage() {
  return <RequireSession>{(me) => <Version me={me} />}</RequireSession>;
}

function Version({ me }: { me: Me }) {
  const { id } = useParams<{ id: string }>();
  const [rows, setRows] = useState(100);
  const [result] = useQuery({ query: VERSION, variables: { id, rows } });
  usePageTitle(result.data?.version ? `${result.data.version.dataset.name} v${result.data.version.number}` : "Version");
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
            <dt>Lineage</dt>
            <dd data-testid="lineage">
              <LineageLine version={version} />
            </dd>
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
                <Link href={`/runs/${r.id}`}>{r.name}</Link> <StatusBadge status={r.status} />{" "}
                <span className="muted">
                  ({r.kind.toLowerCase()}, {r.epochs} epochs)
                </span>
              </li>
            ))}
          </ul>
        </section>
        <ReleasePanel me={me} version={version} />
      </div>

      {version.status === "DRAFT" ? <PolicyProposal me={me} versionId={version.id} versionNumber={version.number} /> : null}
      {version.status === "DRAFT" ? <ImportExamples me={me} versionId={version.id} versionNumber={version.number} /> : null}
      {version.status === "RELEASED" ? <StartRunForm me={me} versionId={version.id} versionNumber={version.number} /> : null}

      <ReleaseChangesSection version={version} />

      <section aria-labelledby="diff-title">
        <h2 id="diff-title">Membership against {diff.parent ? `version ${diff.parent.number}` : "a parent"}</h2>
        {diff.parent ? (
          <p data-testid="diff-summary">
            <strong>{formatInt(diff.removedCount)}</strong> removed · <strong>{formatInt(diff.reweightedCount)}</strong> re-weighted ·{" "}
            <strong>{formatInt(diff.addedCount)}</strong> added
            {version.status === "DRAFT" ? <span className="muted"> (approved interventions are not applied until release: see above)</span> : null}
          </p>
        ) : (
          <p data-testid="diff-summary" className="muted">
            Version {version.number} is the dataset&apos;s first version: its examples were imported into it, so there is no parent to compare with. What its
            release {version.status === "RELEASED" ? "did" : "will do"} is listed above.
          </p>
        )}
        {!diff.parent ? null : diff.rows.edges.length > 0 ? (
          <div className="table-scroll">
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
                      <InterventionEvidence intervention={row.intervention} exampleId={row.example.id} />
                    </td>
                    <td>{row.reason ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">No row-level changes against version {diff.parent.number}.</p>
        )}
        {diff.parent && diff.rows.pageInfo.hasNextPage && rows < MAX_ROWS ? (
          <button type="button" onClick={() => setRows((n) => Math.min(MAX_ROWS, n + 100))} style={{ marginTop: "0.5rem" }}>
            Show more rows
          </button>
        ) : null}
        {diff.parent && diff.rows.pageInfo.hasNextPage && rows >= MAX_ROWS ? (
          <p className="muted">The first {formatInt(MAX_ROWS)} changed rows are shown; the export has the whole version.</p>
        ) : null}
      </section>
    </div>
  );
}

/** "1 example" / "2 examples", "1 canary" / "2 canaries". */
const plural = (n: number, word: string) => `${formatInt(n)} ${n === 1 ? word : word.endsWith("y") ? `${word.slice(0, -1)}ies` : `${word}s`}`;

/** The release's effect in one list: what it will do (draft) or did (released). */
/**
 * run → parent → this version, linked: "run X on v1 → v1 → v2". A released version shows what
 * its release recorded; a draft what releasing it now would record (the runs behind its
 * approved interventions).
 */
function LineageLine({ version }: { version: NonNullable<VersionData["version"]> }) {
  const { lineage } = version;
  if (!lineage.parent && lineage.runs.length === 0) return <span className="muted">first version: imported, not curated from a run</span>;
  return (
    <span>
      {lineage.released ? null : <span className="muted">if released now: </span>}
      {lineage.runs.length === 0 ? <span className="muted">no run</span> : null}
      {lineage.runs.map((r, i) => (
        <span key={r.run.id}>
          {i > 0 ? ", " : null}
          run <Link href={`/runs/${r.run.id}`}>{r.run.name || r.run.id.slice(0, 8)}</Link> on{" "}
          <Link href={`/versions/${r.trainedOn.id}`}>v{r.trainedOn.number}</Link>
          {r.onDraft ? <span className="muted"> (a draft then)</span> : null}
        </span>
      ))}
      {lineage.parent ? (
        <>
          {" → "}
          <Link href={`/versions/${lineage.parent.id}`}>v{lineage.parent.number}</Link>
        </>
      ) : null}
      {" → "}v{version.number}
    </span>
  );
}

function ReleaseEffects({ changes }: { changes: ReleaseChanges }) {
  const done = changes.released;
  return (
    <ul className="release-effects" data-testid="release-effects">
      <li>
        <strong>{plural(changes.prunedCount, "example")}</strong> pruned (approved prunes: removed from the release)
      </li>
      <li>
        <strong>{plural(changes.downweightedCount, "example")}</strong> down-weighted (approved down-weights: the new weight is released)
      </li>
      <li>
        <strong>{plural(changes.canariesLeftOutCount, "canary")}</strong> left out (canaries are never released)
      </li>
      <li>
        <strong>{plural(changes.pendingProposalsCount, "pending proposal")}</strong> {done ? "left" : "leave"} the review queue
        {changes.pendingProposalsCount > 0
          ? ` unreviewed: ${done ? "they stay" : "they will stay"} PROPOSED on this version, are not applied and can no longer be reviewed; propose them again on a new draft if they still matter`
          : ""}
      </li>
      <li>
        Members: <strong>{formatInt(changes.examplesBefore)}</strong> → <strong>{formatInt(changes.examplesAfter)}</strong>
      </li>
    </ul>
  );
}

/** Rows per page of release changes (the API caps a page at 500). */
const CHANGES_PAGE = 100;

/** Row-level changes of the release, paged by cursor (each "Show more" fetches the next page). */
function ReleaseChangesSection({ version }: { version: NonNullable<VersionData["version"]> }) {
  const changes = version.releaseChanges;
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const total = changes.prunedCount + changes.downweightedCount + (changes.canaryRowsKnown ? changes.canariesLeftOutCount : 0);
  return (
    <section aria-labelledby="release-changes-title">
      <h2 id="release-changes-title">
        {changes.released ? `What releasing version ${version.number} did` : `What releasing version ${version.number} will do`}
      </h2>
      <p data-testid="release-summary">
        <strong>{formatInt(changes.prunedCount)}</strong> pruned · <strong>{formatInt(changes.downweightedCount)}</strong> down-weighted ·{" "}
        <strong>{formatInt(changes.canariesLeftOutCount)}</strong> canaries left out · <strong>{formatInt(changes.pendingProposalsCount)}</strong> pending
        proposal{changes.pendingProposalsCount === 1 ? "" : "s"} {changes.released ? "closed unreviewed" : "will leave the queue"} ·{" "}
        {formatInt(changes.examplesBefore)} → {formatInt(changes.examplesAfter)} members
        {changes.released ? null : <span className="muted"> (a preview: it follows reviews until the release)</span>}
      </p>
      {!changes.canaryRowsKnown ? (
        <p className="muted">This release was made before releases recorded which canaries they left out: they are counted, not listed.</p>
      ) : null}
      {total === 0 ? (
        <p className="muted">No row-level changes{changes.released ? "" : " yet: nothing approved, and no canaries"}.</p>
      ) : (
        <div className="table-scroll">
          <table data-testid="release-changes">
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
            {cursors.map((after, index) => (
              <ReleaseChangePage
                key={after ?? "first"}
                versionId={version.id}
                after={after}
                last={index === cursors.length - 1}
                onMore={(cursor) => setCursors((list) => (list.includes(cursor) ? list : [...list, cursor]))}
              />
            ))}
          </table>
        </div>
      )}
      {changes.released && changes.pendingProposalsCount > 0 ? <ClosedProposals versionId={version.id} count={changes.pendingProposalsCount} /> : null}
    </section>
  );
}

// The schema types change as a String (PRUNED | DOWNWEIGHTED | CANARY_LEFT_OUT): a value this
// page does not know reads as itself.
const CHANGE_LABEL: Record<string, string> = {
  PRUNED: "PRUNED",
  DOWNWEIGHTED: "DOWN-WEIGHTED",
  CANARY_LEFT_OUT: "CANARY LEFT OUT",
};

function ReleaseChangePage({ versionId, after, last, onMore }: { versionId: string; after: string | null; last: boolean; onMore: (cursor: string) => void }) {
  const [result] = useQuery({ query: RELEASE_CHANGE_ROWS, variables: { id: versionId, first: CHANGES_PAGE, after } });
  const page = result.data?.version?.releaseChanges.rows;
  if (!page) {
    return (
      <tbody>
        <tr>
          <td colSpan={5}>{result.error ? <ErrorNote message={errorMessage(result.error)} /> : <Loading what="changes" />}</td>
        </tr>
      </tbody>
    );
  }
  return (
    <tbody>
      {page.edges.map((row) => (
        <tr key={`${row.example.id}:${row.change}`} data-change={row.change}>
          <td>
            <span className={`badge badge-${row.change === "DOWNWEIGHTED" ? "reweighted" : "removed"}`}>{CHANGE_LABEL[row.change] ?? row.change}</span>
          </td>
          <td>
            <code>{row.example.key}</code>
            <div className="muted">{row.example.text ?? "(hidden for canaries)"}</div>
          </td>
          <td className="num">
            {formatNumber(row.weightBefore)} → {row.weightAfter === null ? "left out" : formatNumber(row.weightAfter)}
          </td>
          <td>
            <InterventionEvidence intervention={row.intervention} exampleId={row.example.id} />
          </td>
          <td>{row.reason ?? "—"}</td>
        </tr>
      ))}
      {last && page.pageInfo.hasNextPage && page.pageInfo.endCursor ? (
        <tr>
          <td colSpan={5}>
            <button type="button" onClick={() => onMore(page.pageInfo.endCursor!)}>
              Show more changes
            </button>
          </td>
        </tr>
      ) : null}
    </tbody>
  );
}

/** The proposals a release closed unreviewed, fetched when opened. */
function ClosedProposals({ versionId, count }: { versionId: string; count: number }) {
  const [open, setOpen] = useState(false);
  return (
    <details className="card" onToggle={(e) => setOpen(e.currentTarget.open)} data-testid="closed-proposals">
      <summary>{plural(count, "proposal")} closed unreviewed by the release (still PROPOSED here, never applied)</summary>
      {open ? <ClosedProposalList versionId={versionId} /> : null}
    </details>
  );
}

function ClosedProposalList({ versionId }: { versionId: string }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return (
    <ul>
      {cursors.map((after, index) => (
        <ClosedProposalPage
          key={after ?? "first"}
          versionId={versionId}
          after={after}
          last={index === cursors.length - 1}
          onMore={(cursor) => setCursors((list) => (list.includes(cursor) ? list : [...list, cursor]))}
        />
      ))}
    </ul>
  );
}

const CLOSED_PAGE = 100;

function ClosedProposalPage({ versionId, after, last, onMore }: { versionId: string; after: string | null; last: boolean; onMore: (cursor: string) => void }) {
  const [result] = useQuery({ query: CLOSED_PROPOSALS, variables: { id: versionId, first: CLOSED_PAGE, after } });
  const page = result.data?.version?.interventions;
  const items = page?.nodes;
  if (!page || !items) return <li>{result.error ? <ErrorNote message={errorMessage(result.error)} /> : <Loading what="proposals" />}</li>;
  return (
    <>
      {items.map((i) => (
        <li key={i.id}>
          {i.action === "PRUNE" ? "Prune" : `Down-weight to ${formatNumber(i.weight)}`} <code>{i.example.key}</code>{" "}
          <span className="muted">
            proposed by {i.proposedBy.name}, {formatDate(i.createdAt)}
          </span>
          {i.run ? (
            <>
              {" "}
              · <Link href={`/runs/${i.run.id}/examples/${i.example.id}`}>evidence</Link>
            </>
          ) : null}
        </li>
      ))}
      {last && page.pageInfo.hasNextPage && page.pageInfo.endCursor ? (
        <li>
          <button type="button" onClick={() => onMore(page.pageInfo.endCursor!)}>
            Show more
          </button>
        </li>
      ) : null}
    </>
  );
}

function ReleasePanel({ me, version }: { me: Me; version: NonNullable<VersionData["version"]> }) {
  const router = useRouter();
  const [overrideReason, setOverrideReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const [downloading, setDownloading] = useState(false);
  const [release, releaseVersion] = useMutation(RELEASE);
  const [study, startStudy] = useMutation(START_STUDY);
  const confirmRef = useRef<HTMLDivElement>(null);
  const gate = version.gateVerdict;
  const blocked = gate ? !gate.passed : false;
  const mayRelease = can(me, "releaseVersion");
  const mayOverride = me.canOverrideReleaseGate;
  const changes = version.releaseChanges;
  const overrideMissing = blocked && mayOverride && !overrideReason.trim();
  const releaseDisabledWhy = !mayRelease
    ? null
    : blocked && !mayOverride
      ? "The release gate blocks this version, and your role cannot override it."
      : overrideMissing
        ? "Give an override reason first: the gate blocks this version."
        : null;

  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  function onReview(event: FormEvent) {
    event.preventDefault();
    if (releaseDisabledWhy) return;
    setConfirming(true);
  }

  async function onConfirm() {
    const r = await releaseVersion({
      input: { versionId: version.id, ...(blocked && overrideReason.trim() ? { overrideReason: overrideReason.trim() } : {}) },
    });
    if (!r.error) setConfirming(false);
  }

  async function onStartStudy() {
    const r = await startStudy({ input: { versionId: version.id } });
    if (r.data) router.push(`/studies/${r.data.startStudy.id}`);
  }

  async function onDownload() {
    setDownloadError(null);
    setDownloading(true);
    try {
      await downloadWithToken(`/export/versions/${version.id}.jsonl`, `${version.dataset.name}-v${version.number}.jsonl`);
    } catch (err) {
      setDownloadError(err instanceof Error ? err.message : String(err));
    } finally {
      setDownloading(false);
    }
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
          <ReleaseEffects changes={changes} />
          <div className="row">
            <button type="button" className="primary" onClick={onDownload} disabled={downloading}>
              {downloading ? "Preparing the download…" : `Download version ${version.number} (JSONL)`}
            </button>
            <span className="muted">{formatInt(changes.examplesAfter)} examples with their weights, loadable by Hugging Face datasets</span>
          </div>
          <ErrorNote message={downloadError} />
          <JsonBlock label="Lineage" value={version.release?.lineage} />
          <JsonBlock label="Gate verdict at release" value={version.release?.gateVerdict} />
        </div>
      ) : (
        <form onSubmit={onReview} className="stack">
          <p>
            Releasing applies the {countLabel(version.approved)} approved intervention{version.approved.totalCount === 1 ? "" : "s"}, leaves out canaries and
            proposals still waiting for review, and fixes the version&apos;s content for good. It would:
          </p>
          <ReleaseEffects changes={changes} />
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
              <input id="override-reason" type="text" required maxLength={2000} value={overrideReason} onChange={(e) => setOverrideReason(e.target.value)} />
            </div>
          ) : null}
          {mayRelease ? (
            confirming ? (
              <div
                role="alertdialog"
                aria-labelledby="confirm-release-title"
                aria-describedby="confirm-release-text"
                className="notice stack"
                tabIndex={-1}
                ref={confirmRef}
                data-testid="confirm-release"
              >
                <strong id="confirm-release-title">
                  Release version {version.number} of {version.dataset.name}?
                </strong>
                <p id="confirm-release-text" style={{ margin: 0 }}>
                  {plural(changes.prunedCount, "example")} pruned, {plural(changes.downweightedCount, "example")} down-weighted,{" "}
                  {plural(changes.canariesLeftOutCount, "canary")} left out; {formatInt(changes.examplesBefore)} → {formatInt(changes.examplesAfter)} members.{" "}
                  {changes.pendingProposalsCount > 0
                    ? `${plural(changes.pendingProposalsCount, "pending proposal")} will leave the review queue unreviewed and never be applied. `
                    : "No proposal is waiting for review. "}
                  {blocked ? "The release gate blocks it: your override reason is recorded. " : ""}
                  The released version can never change.
                </p>
                <ErrorNote message={errorMessage(release.error)} />
                <div className="row">
                  <button type="button" className="primary" onClick={onConfirm} disabled={release.fetching}>
                    {release.fetching ? "Releasing…" : `Confirm: release version ${version.number}`}
                  </button>
                  <button type="button" onClick={() => setConfirming(false)} disabled={release.fetching}>
                    Cancel
                  </button>
                </div>
              </div>
            ) : (
              <>
                <button
                  type="submit"
                  className="primary"
                  disabled={Boolean(releaseDisabledWhy)}
                  aria-describedby={releaseDisabledWhy ? "release-disabled-why" : undefined}
                >
                  {blocked && mayOverride ? `Override the gate and release version ${version.number}…` : `Release version ${version.number}…`}
                </button>
                {releaseDisabledWhy ? (
                  <p id="release-disabled-why" className="muted">
                    {releaseDisabledWhy}
                  </p>
                ) : null}
              </>
            )
          ) : (
            <p className="muted">Your role ({me.role}) cannot release versions.</p>
          )}
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

/** The intervention behind a row (its action, and a link to the example's evidence in the run that proposed it), or "—". */
function InterventionEvidence({ intervention, exampleId }: { intervention: { action: string; run: { id: string } | null } | null; exampleId: string }) {
  if (!intervention) return <>—</>;
  return (
    <>
      {intervention.action}
      {intervention.run ? (
        <>
          {" "}
          · <Link href={`/runs/${intervention.run.id}/examples/${exampleId}`}>evidence</Link>
        </>
      ) : null}
    </>
  );
}
