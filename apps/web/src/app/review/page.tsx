"use client";
import Link from "next/link";
import { useCallback, useEffect, useMemo, useState, type FormEvent } from "react";
import { useClient, useMutation } from "urql";
import { ErrorNote, Loading, RequireSession, usePageTitle } from "../../components/Shell";
import { quadrantStyle } from "../../data-map/palette";
import { formatDate, formatNumber, humanize, summarizeJson } from "../../lib/format";
import { can, errorMessage, type Me } from "../../lib/session";
import { graphql, type ResultOf } from "../../lib/graphql";

const REVIEW_QUEUE = graphql(`
  query ReviewQueue($first: Int, $after: String) {
    reviewQueue(first: $first, after: $after) {
      nodes {
        id
        action
        weight
        status
        policy
        evidence
        createdAt
        canReview
        proposedBy { id name }
        example { id key text isCanary }
        version { id number dataset { id name } }
        run { id name }
        earlierDecisions { versionId versionNumber action weight status decision reason reviewerName reviewedAt }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const REVIEW = graphql(`
  mutation ReviewIntervention($input: ReviewInput!) {
    reviewIntervention(input: $input) {
      id
      status
      reviews { id decision reason reviewer { id name } createdAt }
    }
  }
`);

const REVIEW_BATCH = graphql(`
  mutation ReviewInterventions($input: ReviewBatchInput!) {
    reviewInterventions(input: $input) {
      id
      status
    }
  }
`);
/** Interventions per reviewInterventions call (the API's limit). */
const BATCH = 500;

type QueueItem = ResultOf<typeof REVIEW_QUEUE>["reviewQueue"]["nodes"][number];

/** Items per queue page (the API caps a page at 500): more come by cursor, never by a larger page. */
const PAGE = 50;
/** The API's limit on a reason. */
const MAX_REASON = 2000;

export default function ReviewPage() {
  usePageTitle("Review queue");
  return <RequireSession>{(me) => <ReviewQueue me={me} />}</RequireSession>;
}

type Scope = "reviewable" | "mine" | "all";
type Sort = "oldest" | "newest" | "memorization" | "difficulty";

const policyName = (policy: unknown) => (isRecord(policy) && typeof policy.name === "string" ? policy.name : "other");
const evidenceNumber = (evidence: unknown, key: string) =>
  isRecord(evidence) && typeof evidence[key] === "number" ? (evidence[key] as number) : Number.NEGATIVE_INFINITY;

function ReviewQueue({ me }: { me: Me }) {
  const client = useClient();
  const [items, setItems] = useState<QueueItem[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [loading, setLoading] = useState(false);
  const [hasMore, setHasMore] = useState(false);
  const [endCursor, setEndCursor] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [lastDecision, setLastDecision] = useState<string | null>(null);
  const [action, setAction] = useState<"" | "PRUNE" | "DOWNWEIGHT">("");
  const [scope, setScope] = useState<Scope>("all");
  const [policy, setPolicy] = useState("");
  const [versionId, setVersionId] = useState("");
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<Sort>("oldest");
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const mayReview = can(me, "reviewIntervention");

  // Cursor paging: each "Show more" asks for the page after the last page's endCursor (ids are time-ordered).
  const loadPage = useCallback(
    async (after: string | null) => {
      setLoading(true);
      setLoadError(null);
      const r = await client.query(REVIEW_QUEUE, { first: PAGE, after }, { requestPolicy: "network-only" }).toPromise();
      setLoading(false);
      if (r.error || !r.data) {
        setLoadError(errorMessage(r.error) ?? "The review queue could not be loaded.");
        return;
      }
      const page = r.data.reviewQueue.nodes;
      setItems((list) => {
        if (!after) return page;
        const seen = new Set(list.map((i) => i.id));
        return [...list, ...page.filter((i) => !seen.has(i.id))];
      });
      setHasMore(r.data.reviewQueue.pageInfo.hasNextPage);
      setEndCursor(r.data.reviewQueue.pageInfo.endCursor);
      setLoaded(true);
    },
    [client],
  );
  useEffect(() => {
    void loadPage(null);
  }, [loadPage]);

  const decided = useCallback((ids: string[], message: string) => {
    const gone = new Set(ids);
    setItems((list) => list.filter((i) => !gone.has(i.id)));
    setSelected((sel) => new Set([...sel].filter((id) => !gone.has(id))));
    setLastDecision(message);
  }, []);

  const policies = useMemo(() => [...new Set(items.map((i) => policyName(i.policy)))].sort(), [items]);
  const versions = useMemo(() => {
    const byId = new Map(items.map((i) => [i.version.id, `${i.version.dataset.name} v${i.version.number}`]));
    return [...byId.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  }, [items]);

  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const list = items.filter((i) => {
      if (action && i.action !== action) return false;
      if (scope === "reviewable" && !i.canReview) return false;
      if (scope === "mine" && i.proposedBy.id !== me.id) return false;
      if (policy && policyName(i.policy) !== policy) return false;
      if (versionId && i.version.id !== versionId) return false;
      if (needle) {
        const reason = isRecord(i.evidence) && typeof i.evidence.reason === "string" ? i.evidence.reason : "";
        const haystack = `${i.example.key}\n${i.example.text ?? ""}\n${reason}\n${i.proposedBy.name}`.toLowerCase();
        if (!haystack.includes(needle)) return false;
      }
      return true;
    });
    if (sort === "newest") list.reverse();
    else if (sort === "memorization") list.sort((a, b) => evidenceNumber(b.evidence, "memorization") - evidenceNumber(a.evidence, "memorization"));
    else if (sort === "difficulty") list.sort((a, b) => evidenceNumber(b.evidence, "difficulty") - evidenceNumber(a.evidence, "difficulty"));
    return list;
  }, [items, action, scope, policy, versionId, search, sort, me.id]);

  const selectable = shown.filter((i) => i.canReview);
  const selectedItems = items.filter((i) => selected.has(i.id));
  const toggle = (id: string, on: boolean) =>
    setSelected((sel) => {
      const next = new Set(sel);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  return (
    <div>
      <h1>Review queue</h1>
      <p className="muted">
        Proposed interventions on draft versions. Each needs a decision and a reason from someone other than its proposer (four eyes).
        {mayReview ? "" : ` Your role (${me.role}) cannot review interventions.`}
      </p>
      {lastDecision ? (
        <p className="success" role="status">
          {lastDecision}
        </p>
      ) : null}
      <ErrorNote message={loadError} />
      {!loaded && loading ? <Loading what="the review queue" /> : null}
      {loaded && items.length === 0 ? <p>Nothing to review.</p> : null}
      {items.length > 0 ? (
        <>
          <p>
            <strong data-testid="queue-count">{items.length}</strong> proposed intervention{items.length === 1 ? "" : "s"}
            {hasMore ? " loaded (more below)" : ""}
            {action || scope !== "all" || policy || versionId || search.trim() ? (
              <>
                {" "}
                · <strong data-testid="queue-matching">{shown.length}</strong> matching the filters
              </>
            ) : null}
          </p>
          <form className="card queue-filters" aria-label="Filter the queue" onSubmit={(e) => e.preventDefault()}>
            <div className="row">
              <div className="field">
                <label htmlFor="q-search">Search</label>
                <input id="q-search" type="search" placeholder="key, text, reason, proposer" value={search} onChange={(e) => setSearch(e.target.value)} />
              </div>
              <div className="field">
                <label htmlFor="q-action">Action</label>
                <select id="q-action" value={action} onChange={(e) => setAction(e.target.value as typeof action)}>
                  <option value="">Any</option>
                  <option value="PRUNE">Prune</option>
                  <option value="DOWNWEIGHT">Down-weight</option>
                </select>
              </div>
              <div className="field">
                <label htmlFor="q-scope">Status</label>
                <select id="q-scope" value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
                  <option value="all">All proposed</option>
                  <option value="reviewable">You may review</option>
                  <option value="mine">Proposed by you (four eyes)</option>
                </select>
              </div>
              <div className="field">
                <label htmlFor="q-policy">Policy</label>
                <select id="q-policy" value={policy} onChange={(e) => setPolicy(e.target.value)}>
                  <option value="">Any</option>
                  {policies.map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="q-version">Version</label>
                <select id="q-version" value={versionId} onChange={(e) => setVersionId(e.target.value)}>
                  <option value="">Any</option>
                  {versions.map(([id, label]) => (
                    <option key={id} value={id}>
                      {label}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="q-sort">Sort</label>
                <select id="q-sort" value={sort} onChange={(e) => setSort(e.target.value as Sort)}>
                  <option value="oldest">Oldest first</option>
                  <option value="newest">Newest first</option>
                  <option value="memorization">Memorization, high to low</option>
                  <option value="difficulty">Difficulty, high to low</option>
                </select>
              </div>
            </div>
            {hasMore ? (
              <p className="muted" style={{ margin: 0 }}>
                Filters and sort apply to the {items.length} loaded; “Show more” loads the next {PAGE}.
              </p>
            ) : null}
          </form>
        </>
      ) : null}
      {mayReview && selectable.length > 0 ? (
        <div className="row" style={{ marginBottom: "0.75rem" }}>
          <button type="button" onClick={() => setSelected(new Set(selectable.map((i) => i.id)))}>
            Select all {selectable.length} matching that you may review
          </button>
          {selected.size > 0 ? (
            <button type="button" onClick={() => setSelected(new Set())}>
              Clear selection
            </button>
          ) : null}
        </div>
      ) : null}
      {mayReview && selectedItems.length > 0 ? <ReviewSelected items={selectedItems} onDecided={decided} /> : null}
      <ol style={{ listStyle: "none", padding: 0 }}>
        {shown.map((item) => (
          <li key={item.id}>
            <ReviewItem item={item} me={me} onDecided={decided} selected={selected.has(item.id)} onSelect={(on) => toggle(item.id, on)} />
          </li>
        ))}
      </ol>
      {hasMore ? (
        <button type="button" disabled={loading} onClick={() => void loadPage(endCursor)}>
          {loading ? "Loading…" : `Show more (next ${PAGE})`}
        </button>
      ) : null}
    </div>
  );
}

/**
 * One decision and one reason for the selected interventions, after a confirmation that states
 * the count: sent as reviewInterventions calls of up to 500, each all or nothing, each
 * intervention still reviewed and audited on its own.
 */
function ReviewSelected({ items, onDecided }: { items: QueueItem[]; onDecided: (ids: string[], message: string) => void }) {
  const [decision, setDecision] = useState<Decision>("");
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [result, reviewBatch] = useMutation(REVIEW_BATCH);
  const n = items.length;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const why = reasonProblem(decision, reason);
    setProblem(why);
    if (!why) setConfirming(true);
  }

  async function onConfirm() {
    if (!decision) return;
    const ids = items.map((i) => i.id);
    const done: string[] = [];
    for (let from = 0; from < ids.length; from += BATCH) {
      const chunk = ids.slice(from, from + BATCH);
      const r = await reviewBatch({ input: { interventionIds: chunk, decision, reason: reason.trim() } });
      if (r.error) break;
      done.push(...chunk);
    }
    setConfirming(false);
    if (done.length) {
      onDecided(done, `${decision === "APPROVE" ? "Approved" : "Rejected"} ${formatNumber(done.length)} interventions at once.`);
      setDecision("");
      setReason("");
    }
  }

  const verb = decision === "REJECT" ? "Reject" : "Approve";
  return (
    <section className="card" aria-labelledby="review-selected-title">
      <h2 id="review-selected-title" style={{ marginTop: 0 }}>
        Review the {formatNumber(n)} selected
      </h2>
      <form onSubmit={onSubmit} aria-label="Review the selected" noValidate>
        <DecisionFields
          idSuffix="selected"
          legend={`Decision for all ${formatNumber(n)}`}
          reasonLabel="Reason for all (required)"
          decision={decision}
          onDecision={setDecision}
          reason={reason}
          onReason={(r) => {
            setReason(r);
            setProblem(null);
          }}
        />
        <ErrorNote message={problem ?? errorMessage(result.error)} />
        {confirming ? (
          <div role="alertdialog" aria-labelledby="confirm-selected-title" className="notice stack">
            <strong id="confirm-selected-title">
              {verb} {formatNumber(n)} intervention{n === 1 ? "" : "s"}?
            </strong>
            <p style={{ margin: 0 }}>Each gets its own review with the reason “{reason.trim()}” and its own audit event. This cannot be undone.</p>
            <div className="row">
              <button type="button" className="primary" onClick={onConfirm} disabled={result.fetching}>
                {result.fetching ? "Reviewing…" : `Confirm: ${verb.toLowerCase()} ${formatNumber(n)}`}
              </button>
              <button type="button" onClick={() => setConfirming(false)} disabled={result.fetching}>
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <button type="submit" className="primary">
            {decision ? `${verb} ${formatNumber(n)} selected…` : `Review ${formatNumber(n)} selected…`}
          </button>
        )}
      </form>
    </section>
  );
}

/** Why a decision cannot be sent yet (null: it can). */
function reasonProblem(decision: Decision, reason: string): string | null {
  if (!decision) return "Choose Approve or Reject.";
  if (!reason.trim()) return reason.length ? "A reason of only spaces is not a reason: say why." : "A reason is required.";
  if (reason.trim().length > MAX_REASON) return `The reason is ${reason.trim().length} characters; at most ${MAX_REASON}.`;
  return null;
}

type Decision = "APPROVE" | "REJECT" | "";

/** A review's decision (radio buttons, Approve required) and its required reason. */
function DecisionFields(props: {
  idSuffix: string;
  legend: string;
  reasonLabel: string;
  decision: Decision;
  onDecision: (d: Decision) => void;
  reason: string;
  onReason: (r: string) => void;
}) {
  const { idSuffix, decision, onDecision } = props;
  return (
    <>
      <fieldset>
        <legend>{props.legend}</legend>
        <label className="field-inline">
          <input type="radio" name={`decision-${idSuffix}`} value="APPROVE" required checked={decision === "APPROVE"} onChange={() => onDecision("APPROVE")} />{" "}
          Approve
        </label>
        <label className="field-inline">
          <input type="radio" name={`decision-${idSuffix}`} value="REJECT" checked={decision === "REJECT"} onChange={() => onDecision("REJECT")} /> Reject
        </label>
      </fieldset>
      <div className="field">
        <label htmlFor={`reason-${idSuffix}`}>{props.reasonLabel}</label>
        <input id={`reason-${idSuffix}`} type="text" required maxLength={MAX_REASON} value={props.reason} onChange={(e) => props.onReason(e.target.value)} />
      </div>
    </>
  );
}

const SCORE_KEYS = ["difficulty", "memorization", "forgetEvents", "confidence", "variability", "correctness", "neverLearned"] as const;
const HIDDEN_KEYS = new Set<string>(["runId", "quadrant", "reason", "thresholds", ...SCORE_KEYS]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The evidence of a proposal (its shape comes from the policy engine): scores first, the rest folded. */
function Evidence({ evidence }: { evidence: unknown }) {
  if (!isRecord(evidence)) return <span className="muted">{summarizeJson(evidence)}</span>;
  const quadrant = typeof evidence.quadrant === "string" ? evidence.quadrant : null;
  const thresholds = isRecord(evidence.thresholds) ? evidence.thresholds : null;
  const others = Object.entries(evidence).filter(([k]) => !HIDDEN_KEYS.has(k));
  return (
    <div className="stack">
      {typeof evidence.reason === "string" && evidence.reason ? (
        <p>
          Proposer&apos;s reason: <q>{evidence.reason}</q>
        </p>
      ) : null}
      <dl className="facts">
        {quadrant ? (
          <>
            <dt>Quadrant</dt>
            <dd>
              <span className="swatch" style={{ background: quadrantStyle(quadrant).color }} aria-hidden="true" /> {quadrantStyle(quadrant).label}
            </dd>
          </>
        ) : null}
        {SCORE_KEYS.filter((k) => evidence[k] !== undefined).map((k) => (
          <div key={k} style={{ display: "contents" }}>
            <dt>{humanize(k.replace(/([a-z])([A-Z])/g, "$1_$2"))}</dt>
            <dd>{typeof evidence[k] === "number" ? formatNumber(evidence[k] as number, 4) : String(evidence[k])}</dd>
          </div>
        ))}
        {thresholds ? (
          <>
            <dt>Thresholds</dt>
            <dd>
              θd = {formatNumber(thresholds.difficulty as number, 3)}, θm = {formatNumber(thresholds.memorization as number, 3)}
              {typeof thresholds.source === "string" ? ` (${thresholds.source})` : ""}
            </dd>
          </>
        ) : null}
      </dl>
      {others.length ? (
        <details>
          <summary>More evidence</summary>
          <dl className="facts">
            {others.map(([key, value]) => (
              <div key={key} style={{ display: "contents" }}>
                <dt>{key}</dt>
                <dd className="mono">{typeof value === "number" ? formatNumber(value, 4) : summarizeJson(value, 160)}</dd>
              </div>
            ))}
          </dl>
        </details>
      ) : null}
    </div>
  );
}

function ReviewItem({
  item,
  me,
  onDecided,
  selected,
  onSelect,
}: {
  item: QueueItem;
  me: Me;
  onDecided: (ids: string[], message: string) => void;
  selected: boolean;
  onSelect: (on: boolean) => void;
}) {
  const [decision, setDecision] = useState<Decision>("");
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [result, review] = useMutation(REVIEW);
  const mine = item.proposedBy.id === me.id;
  const headingId = `item-${item.id}`;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const why = reasonProblem(decision, reason);
    setProblem(why);
    if (why || !decision) return;
    const r = await review({ input: { interventionId: item.id, decision, reason: reason.trim() } });
    if (!r.error) onDecided([item.id], `${decision === "APPROVE" ? "Approved" : "Rejected"}: ${humanize(item.action)} of ${item.example.key}.`);
  }

  return (
    <article className="card queue-item" aria-labelledby={headingId}>
      <h2 id={headingId} style={{ marginTop: 0 }}>
        {item.action === "PRUNE" ? "Prune" : `Down-weight to ${formatNumber(item.weight)}`} <code>{item.example.key}</code>
        {item.example.isCanary ? <span className="badge badge-failed"> canary</span> : null}
      </h2>
      {item.canReview ? (
        <label className="field-inline">
          <input type="checkbox" checked={selected} onChange={(e) => onSelect(e.target.checked)} /> Select {item.example.key}
        </label>
      ) : null}
      {item.earlierDecisions.length ? (
        <div className="notice" data-testid="earlier-decisions">
          <strong>Decided before on this example:</strong>
          <ul style={{ margin: "0.25rem 0 0" }}>
            {item.earlierDecisions.map((d) => (
              <li key={`${d.versionId}:${d.reviewedAt}`}>
                {d.decision === "REJECT" ? "Rejected" : "Approved"} {d.action === "PRUNE" ? "a prune" : `a down-weight to ${formatNumber(d.weight)}`} on{" "}
                <Link href={`/versions/${d.versionId}`}>version {d.versionNumber}</Link> by {d.reviewerName}, {formatDate(d.reviewedAt)}: <q>{d.reason}</q>
                {d.status === "APPLIED" ? " (applied at release)" : ""}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <p style={{ whiteSpace: "pre-wrap" }}>{item.example.text ?? <span className="muted">(canary text redacted for your role)</span>}</p>
      <div className="grid-2">
        <div>
          <h3>Evidence</h3>
          <Evidence evidence={item.evidence} />
        </div>
        <div>
          <h3>Context</h3>
          <dl className="facts">
            <dt>Version</dt>
            <dd>
              <Link href={`/versions/${item.version.id}`}>
                {item.version.dataset.name} v{item.version.number}
              </Link>
            </dd>
            <dt>Run</dt>
            <dd>
              {item.run ? (
                <>
                  <Link href={`/runs/${item.run.id}`}>{item.run.name}</Link> · <Link href={`/runs/${item.run.id}/examples/${item.example.id}`}>trajectory</Link>
                </>
              ) : (
                "—"
              )}
            </dd>
            <dt>Policy</dt>
            <dd className="mono">{summarizeJson(item.policy, 140)}</dd>
            <dt>Proposed by</dt>
            <dd>
              {item.proposedBy.name}
              {mine ? " (you)" : ""}, {formatDate(item.createdAt)}
            </dd>
          </dl>
        </div>
      </div>
      {item.canReview ? (
        <form onSubmit={onSubmit} aria-label={`Review ${item.example.key}`} style={{ marginTop: "0.75rem" }}>
          <DecisionFields
            idSuffix={item.id}
            legend="Decision"
            reasonLabel="Reason (required)"
            decision={decision}
            onDecision={setDecision}
            reason={reason}
            onReason={(r) => {
              setReason(r);
              setProblem(null);
            }}
          />
          <ErrorNote message={problem ?? errorMessage(result.error)} />
          <button type="submit" className="primary" disabled={result.fetching}>
            Submit review
          </button>
        </form>
      ) : mine ? (
        <p className="four-eyes">You proposed this — another reviewer must decide.</p>
      ) : (
        <p className="muted">Your role ({me.role}) cannot review interventions.</p>
      )}
    </article>
  );
}
