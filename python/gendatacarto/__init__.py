"""GenDataCarto client for trainers that run elsewhere (PyTorch, Hugging Face, JAX, numpy).

Standard library only; numpy, torch and pandas are used when present, never required.

    import gendatacarto as gdc
    run = gdc.Client("http://127.0.0.1:4000/graphql", token).create_run(version_id, epochs=5)
    for epoch in range(5):
        for keys, x, y in batches:                 # keys: your example ids (int, str, numpy, torch)
            ...                                    # per-example loss (reduction="none") and accuracy
            run.log(epoch, keys, loss, correct)    # buffered, sent in chunks, retried
    run.finish()                                   # sends the rest, scores, waits for the scores
    df = run.scores()                              # pandas DataFrame indexed by your keys (or a list of dicts)

What it does, and why it is safe to retry:
- ``Client.create_run`` registers an EXTERNAL run on a dataset version (``createExternalRun``);
  ``Client.run(run_id)`` attaches to one that exists (another process, a restarted job).
- ``Run.log`` buffers per-example cells (example key, epoch, loss, accuracy) and sends them with
  ``ingestDynamics`` in chunks of ``chunk_size`` cells (default 20,000; the JSON path's limit
  is 100,000 per request). The server stores each cell by (example, epoch) and a chunk is all
  or nothing, so a chunk sent twice changes nothing: network failures, 429 and 5xx answers are
  retried with exponential backoff.
- ``Run.finish`` flushes, calls ``finishRun`` (which checks every cell arrived and enqueues
  scoring) and, by default, waits until the run is scored.
- ``Run.scores`` pages through the run's examples with their scores (500 per request) and
  returns a pandas DataFrame indexed by your example keys when pandas is installed (else a
  list of dicts); ``key_type=int`` turns the keys back into ints.

Errors: every answer's GraphQL ``errors`` are read before its HTTP status, so a refusal raises
``GdcError`` with the server's own message (e.g. ``cells[3].exampleKey: "17" is not a training
example``), its code (BAD_USER_INPUT, FORBIDDEN, ...) and field.

Keys are always sent as strings: ints, numpy integers and one-element torch tensors become
``"17"``. Losses and accuracies may be lists, numpy arrays or torch tensors (on any device);
accuracies may be booleans ("correct"). Values are checked before sending (finite loss ≥ 0,
accuracy in [0, 1]) so that a bad value names its example and epoch.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import socket
import time
import urllib.error
import urllib.request
from http.client import HTTPException
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

__all__ = ["Client", "Run", "GdcError", "TransientError", "SCORE_FIELDS", "to_key", "to_floats"]
__version__ = "0.1.0"

#: Cells per ingestDynamics request by default (~1.6 MB of JSON).
DEFAULT_CHUNK_CELLS = 20_000
#: The most cells one JSON request may carry (the API refuses bodies over 8 MB).
MAX_CHUNK_CELLS = 100_000
#: The API's largest page of Run.examples.
SCORES_PAGE = 500

#: Every per-example score the API serves (ExampleScore in apps/api/schema.graphql).
SCORE_FIELDS = (
    "difficulty",
    "memorization",
    "quadrant",
    "confidence",
    "variability",
    "correctness",
    "forgetEvents",
    "forgetFrequency",
    "neverLearned",
    "lossDrop",
    "relativeLossDrop",
    "excessLossDrop",
    "accuracyGain",
    "meanLoss",
)

_RETRY_STATUS = (408, 429, 500, 502, 503, 504)


class GdcError(Exception):
    """The API refused a request, or answered something that is not GraphQL.

    ``message`` is the server's first error message, ``code`` its extensions.code (e.g.
    BAD_USER_INPUT, FORBIDDEN, UNAUTHENTICATED, CONFLICT), ``field`` the input path it names (if
    any), ``errors`` every error as sent, ``status`` the HTTP status.
    """

    def __init__(self, message: str, *, code: Optional[str] = None, field: Optional[str] = None,
                 errors: Optional[list] = None, status: Optional[int] = None):
        self.message, self.code, self.field, self.errors, self.status = message, code, field, errors or [], status
        where = f" [{field}]" if field else ""
        super().__init__(f"{code or 'HTTP ' + str(status)}{where}: {message}")


class TransientError(GdcError):
    """A failure worth retrying (network, timeout, 429, 5xx) that outlasted every retry."""


def to_key(key: Any) -> str:
    """An example key as the string the API stores: 17, numpy.int64(17), torch.tensor(17) -> "17"."""
    if isinstance(key, str):
        return key
    if hasattr(key, "item") and callable(key.item):  # numpy scalar / 0-d array, torch one-element tensor
        key = key.item()
    if isinstance(key, bytes):
        return key.decode("utf-8")
    if isinstance(key, bool):
        raise TypeError(f"example key {key!r} is a bool: give the example's id")
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    if isinstance(key, str):
        return key
    raise TypeError(f"example key {key!r} ({type(key).__name__}) is neither a string nor an integer")


def to_floats(values: Any) -> List[float]:
    """Plain Python floats from a list, tuple, numpy array or torch tensor (any device, any dtype, bools too)."""
    if hasattr(values, "detach"):  # torch.Tensor
        values = values.detach().cpu()
        if hasattr(values, "double"):
            values = values.double()
        return [float(v) for v in values.reshape(-1).tolist()]
    if hasattr(values, "tolist") and hasattr(values, "shape"):  # numpy array (or scalar)
        return [float(v) for v in values.reshape(-1).tolist()]
    if isinstance(values, (int, float)):
        return [float(values)]
    return [float(v.item() if hasattr(v, "item") else v) for v in values]


def _keys(keys: Any) -> List[str]:
    if hasattr(keys, "detach"):
        keys = keys.detach().cpu().reshape(-1).tolist()
    elif hasattr(keys, "tolist") and hasattr(keys, "shape"):
        keys = keys.reshape(-1).tolist()
    elif isinstance(keys, (str, int)):
        keys = [keys]
    return [to_key(k) for k in keys]


class Client:
    """One API endpoint and token.

    api: the GraphQL URL (default $GDC_API_URL, else http://127.0.0.1:4000/graphql).
    token: an API token of an ENGINEER or ADMIN (default $GDC_TOKEN).
    retries: attempts after the first for retryable failures; backoff: the first delay in
    seconds, doubled each attempt (with jitter, at most max_backoff), or the server's Retry-After.
    """

    def __init__(self, api: Optional[str] = None, token: Optional[str] = None, *, timeout: float = 120.0,
                 retries: int = 6, backoff: float = 0.5, max_backoff: float = 30.0):
        self.api = (api or os.environ.get("GDC_API_URL") or "http://127.0.0.1:4000/graphql").rstrip("/")
        if not self.api.endswith("/graphql"):
            self.api += "/graphql"
        self.token = token if token is not None else os.environ.get("GDC_TOKEN")
        self.timeout, self.retries, self.backoff, self.max_backoff = timeout, retries, backoff, max_backoff
        self.retried = 0  # retries made so far (for logs and tests)
        self.sleep: Callable[[float], None] = time.sleep

    # --- transport -----------------------------------------------------------------------

    def graphql(self, query: str, variables: Optional[dict] = None, *, retry: bool = True) -> dict:
        """Runs one GraphQL operation and returns its ``data``; raises GdcError with the server's message.

        retry=True (the default) retries network failures, timeouts, 408/429/5xx answers: only
        for operations that are safe to repeat (queries, ingestDynamics). With retry=False only a
        refused connection (nothing was sent) is retried.
        """
        body = json.dumps({"query": query, "variables": variables or {}}, allow_nan=False).encode("utf-8")
        headers = {"content-type": "application/json", "accept": "application/json"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        attempt = 0
        while True:
            try:
                status, text, retry_after = self._post(body, headers)
            except (urllib.error.URLError, HTTPException, ConnectionError, socket.timeout, TimeoutError) as err:
                refused = isinstance(getattr(err, "reason", err), ConnectionRefusedError)
                if (retry or refused) and attempt < self.retries:
                    attempt = self._wait(attempt, None)
                    continue
                raise TransientError(f"{self.api}: {getattr(err, 'reason', err)} (after {attempt + 1} attempts)") from err
            try:
                answer = json.loads(text)
            except ValueError:
                answer = None
            errors = answer.get("errors") if isinstance(answer, dict) else None
            if errors:
                first = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
                ext = first.get("extensions") or {}
                code = ext.get("code")
                transient = status in _RETRY_STATUS and code in (None, "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TOO_MANY_REQUESTS")
                if retry and transient and attempt < self.retries:
                    attempt = self._wait(attempt, retry_after)
                    continue
                cls = TransientError if transient else GdcError
                raise cls(first.get("message", "unknown error"), code=code, field=ext.get("field"), errors=errors, status=status)
            if status in _RETRY_STATUS and retry and attempt < self.retries:
                attempt = self._wait(attempt, retry_after)
                continue
            if not 200 <= status < 300 or not isinstance(answer, dict) or "data" not in answer:
                cls = TransientError if status in _RETRY_STATUS else GdcError
                raise cls(f"{self.api} answered HTTP {status}: {text[:300]!r}", status=status)
            return answer["data"]

    def _post(self, body: bytes, headers: dict) -> Tuple[int, str, Optional[str]]:
        request = urllib.request.Request(self.api, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, response.read().decode("utf-8", "replace"), response.headers.get("retry-after")
        except urllib.error.HTTPError as err:  # 4xx/5xx: the body still holds the GraphQL errors
            return err.code, err.read().decode("utf-8", "replace"), err.headers.get("retry-after") if err.headers else None

    def _wait(self, attempt: int, retry_after: Optional[str]) -> int:
        delay = min(self.max_backoff, self.backoff * 2 ** attempt) * (0.5 + random.random() / 2)
        if retry_after:
            try:
                delay = min(self.max_backoff, float(retry_after))
            except ValueError:
                pass
        self.retried += 1
        self.sleep(delay)
        return attempt + 1

    # --- runs ------------------------------------------------------------------------------

    def create_run(self, version_id: str, epochs: int, *, name: Optional[str] = None, framework: str = "pytorch",
                   scoring_config: Optional[dict] = None, eval_pass: bool = False, **run_options: Any) -> "Run":
        """Registers an EXTERNAL run on a released dataset version; its training examples are the version's TRAIN split.

        A run trains on a released version (the one you exported): a draft is refused (CONFLICT) unless
        the API's allowDraft is set; curate on a child draft of it (see the README, "The version flow").

        eval_pass=True records that losses come from an end-of-epoch evaluation pass rather than the
        training forward pass. scoring_config: as the API's (e.g. {"memorizationSignal": "lossDrop"}).
        Not retried once the request may have reached the server (it is not idempotent).
        """
        input_: Dict[str, Any] = {"versionId": version_id, "epochs": int(epochs), "framework": framework,
                                  "dynamicsSource": "EVAL_PASS" if eval_pass else "TRAIN_FORWARD"}
        if name is not None:
            input_["name"] = name
        if scoring_config is not None:
            input_["scoringConfig"] = scoring_config
        data = self.graphql("mutation ($input: CreateExternalRunInput!) { createExternalRun(input: $input) { "
                            "id status epochs exampleCount } }", {"input": input_}, retry=False)
        return Run(self, data["createExternalRun"], **run_options)

    def run(self, run_id: str, **run_options: Any) -> "Run":
        """Attaches to an existing run (e.g. to resume sending, to finish it, or to read its scores)."""
        data = self.graphql("query ($id: ID!) { run(id: $id) { id status epochs exampleCount } }", {"id": run_id})
        if data["run"] is None:
            raise GdcError(f"Run {run_id} not found", code="NOT_FOUND", status=200)
        return Run(self, data["run"], **run_options)


class Run:
    """An external run: buffer and send dynamics, finish, read scores. Get one from Client.create_run / Client.run."""

    _INGEST = ("mutation ($input: DynamicsChunkInput!) { ingestDynamics(input: $input) "
               "{ accepted unchanged received missing } }")

    def __init__(self, client: Client, fields: dict, *, chunk_size: int = DEFAULT_CHUNK_CELLS):
        if not 1 <= chunk_size <= MAX_CHUNK_CELLS:
            raise ValueError(f"chunk_size must be in [1, {MAX_CHUNK_CELLS}], got {chunk_size}")
        self.client = client
        self.id: str = fields["id"]
        self.epochs: int = fields["epochs"]
        self.example_count: int = fields["exampleCount"]
        self.status: str = fields["status"]
        self.chunk_size = chunk_size
        # (epoch, key) -> [loss sum, accuracy sum, presentations]: an example presented more than
        # once in an epoch (per-step logging, sampling with replacement) is averaged while buffered.
        self._buffer: Dict[Tuple[int, str], List[float]] = {}
        self.sent = {"accepted": 0, "unchanged": 0, "received": 0, "missing": None, "requests": 0}

    def __repr__(self) -> str:
        return f"Run({self.id!r}, status={self.status}, epochs={self.epochs}, examples={self.example_count})"

    def log(self, epoch: int, keys: Any, losses: Any, accuracies: Any) -> None:
        """Records per-example losses (nats) and accuracies (or correct flags) of one epoch.

        Call it per minibatch or once per epoch with any iterables of equal length; full chunks are
        sent as they fill up, the rest on flush() or finish().
        """
        epoch = int(epoch.item() if hasattr(epoch, "item") else epoch)
        if not 0 <= epoch < self.epochs:
            raise ValueError(f"epoch {epoch} is outside the run's epochs [0, {self.epochs - 1}]")
        ks, ls, accs = _keys(keys), to_floats(losses), to_floats(accuracies)
        if not len(ks) == len(ls) == len(accs):
            raise ValueError(f"{len(ks)} keys, {len(ls)} losses and {len(accs)} accuracies: give one of each per example")
        buffer = self._buffer
        for k, loss, acc in zip(ks, ls, accs):
            if not (math.isfinite(loss) and loss >= 0):
                raise ValueError(f"example {k!r}, epoch {epoch}: loss must be finite and >= 0, got {loss}")
            if not 0 <= acc <= 1:
                raise ValueError(f"example {k!r}, epoch {epoch}: accuracy must be in [0, 1], got {acc}")
            cell = buffer.get((epoch, k))
            if cell is None:
                buffer[(epoch, k)] = [loss, acc, 1]
            else:
                cell[0] += loss
                cell[1] += acc
                cell[2] += 1
        while len(buffer) >= self.chunk_size:
            self._send(self.chunk_size)

    def flush(self) -> dict:
        """Sends everything buffered; returns the running totals (accepted, unchanged, received, missing)."""
        while self._buffer:
            self._send(self.chunk_size)
        return dict(self.sent)

    def _send(self, n: int) -> None:
        # Oldest first: cells still being averaged (the current epoch) are sent last.
        items = [(cell, self._buffer.pop(cell)) for cell in list(itertools.islice(self._buffer, n))]
        cells = [{"exampleKey": k, "epoch": e, "loss": s[0] / s[2], "accuracy": min(1.0, s[1] / s[2])}
                 for (e, k), s in items]
        try:
            result = self.client.graphql(self._INGEST, {"input": {"runId": self.id, "cells": cells}})["ingestDynamics"]
        except Exception:
            for (e, k), s in items:  # nothing of the chunk was stored: keep it for the next attempt
                self._buffer.setdefault((e, k), s)
            raise
        for name in ("accepted", "unchanged", "received"):
            self.sent[name] += result[name]
        self.sent["missing"] = result["missing"]
        self.sent["requests"] += 1

    def refresh(self) -> dict:
        """The run's status and progress now."""
        data = self.client.graphql("query ($id: ID!) { run(id: $id) { status error memorizationSignal "
                                   "progress { step steps fraction } } }", {"id": self.id})["run"]
        self.status = data["status"]
        return data

    def finish(self, *, wait: bool = True, timeout: float = 3600.0, poll: float = 1.0) -> str:
        """Sends what is buffered, ends the ingest (the server checks every cell arrived) and
        enqueues scoring; with wait=True returns once the run is SUCCEEDED (GdcError if it FAILED)."""
        self.flush()
        try:
            self.status = self.client.graphql("mutation ($id: ID!) { finishRun(input: { runId: $id }) { status } }",
                                              {"id": self.id})["finishRun"]["status"]
        except GdcError as err:
            # A retried finishRun whose first attempt got through, or a run finished elsewhere.
            if err.code != "CONFLICT" or self.refresh()["status"] not in ("SCORING", "SUCCEEDED"):
                raise
        if wait:
            return self.wait(timeout=timeout, poll=poll)
        return self.status

    def wait(self, *, timeout: float = 3600.0, poll: float = 1.0) -> str:
        """Waits until the run is scored; returns "SUCCEEDED" or raises GdcError."""
        deadline = time.monotonic() + timeout
        while True:
            data = self.refresh()
            if data["status"] == "SUCCEEDED":
                return "SUCCEEDED"
            if data["status"] in ("FAILED", "CANCELLED"):
                raise GdcError(f"run {self.id} {data['status']}: {data.get('error') or ''}", code=data["status"])
            if time.monotonic() > deadline:
                raise GdcError(f"run {self.id} still {data['status']} after {timeout:.0f} s", code="TIMEOUT")
            time.sleep(poll)

    def scores(self, fields: Sequence[str] = SCORE_FIELDS, *, key_type: Callable[[str], Any] = str,
               as_dataframe: Optional[bool] = None, page_size: int = SCORES_PAGE) -> Any:
        """Every training example's scores in this run, keyed by your example keys.

        Returns a pandas DataFrame indexed by ``key`` (columns: is_canary and the fields, in
        camelCase as in the API) when pandas is importable (or as_dataframe=True), else a list of
        dicts with ``key``, ``is_canary`` and the fields. key_type converts each key (e.g. int).
        """
        unknown = [f for f in fields if f not in SCORE_FIELDS]
        if unknown:
            raise ValueError(f"unknown score fields {unknown}; known: {', '.join(SCORE_FIELDS)}")
        query = ("query ($id: ID!, $first: Int!, $after: String) { run(id: $id) { status examples(first: $first, "
                 "after: $after, orderBy: {field: KEY, direction: ASC}) { edges { node { key isCanary "
                 f"score(runId: $id) {{ {' '.join(fields)} }} }} }} pageInfo {{ hasNextPage endCursor }} }} }} }}")
        rows: List[dict] = []
        after = None
        while True:
            run = self.client.graphql(query, {"id": self.id, "first": page_size, "after": after})["run"]
            if run["status"] != "SUCCEEDED":
                raise GdcError(f"run {self.id} is {run['status']}: scores exist once it is SUCCEEDED (Run.finish waits)",
                               code="NOT_SCORED")
            page = run["examples"]
            for edge in page["edges"]:
                node = edge["node"]
                if node["score"] is None:  # not a training example of the run (another split)
                    continue
                rows.append({"key": key_type(node["key"]), "is_canary": node["isCanary"], **node["score"]})
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        if as_dataframe is False:
            return rows
        try:
            import pandas as pd
        except ImportError:
            if as_dataframe:
                raise
            return rows
        return pd.DataFrame(rows, columns=["key", "is_canary", *fields]).set_index("key")
