"""gendatacarto against the real API: errors, keys, batching, retries, finish, scores."""
import http.server
import math
import threading
import unittest
import urllib.error
import urllib.request

import numpy as np

from . import support
from .support import gdc

try:
    import pandas  # noqa: F401
    HAVE_PANDAS = True
except ImportError:
    HAVE_PANDAS = False


def loss_of(i: int, epoch: int) -> float:
    """Deterministic dynamics: every 5th example starts hard and ends learned (a flipped label)."""
    return (3.0 if i % 5 == 0 else 0.5) * (0.3 if (i % 5 == 0 and epoch >= 2) else 1.0) + 0.01 * (i % 7) + 0.1 / (epoch + 1)


class Conversions(unittest.TestCase):
    def test_keys_become_strings(self):
        self.assertEqual(gdc.to_key(17), "17")
        self.assertEqual(gdc.to_key(np.int64(17)), "17")
        self.assertEqual(gdc.to_key(np.uint8(3)), "3")
        self.assertEqual(gdc.to_key(np.array(5)), "5")
        self.assertEqual(gdc.to_key(np.str_("ex-1")), "ex-1")
        self.assertEqual(gdc.to_key(b"ex-2"), "ex-2")
        self.assertEqual(gdc.to_key(4.0), "4")
        with self.assertRaisesRegex(TypeError, "neither a string nor an integer"):
            gdc.to_key(4.5)
        with self.assertRaisesRegex(TypeError, "bool"):
            gdc.to_key(True)

    def test_values_become_plain_floats(self):
        for values in (np.array([0.5, 1.25], dtype=np.float32), [np.float32(0.5), np.float64(1.25)], (0.5, 1.25)):
            out = gdc.to_floats(values)
            self.assertEqual(out, [0.5, 1.25])
            self.assertTrue(all(type(v) is float for v in out))
        self.assertEqual(gdc.to_floats(np.array([True, False])), [1.0, 0.0])
        self.assertEqual(gdc.to_floats(np.array([[1, 2], [3, 4]])), [1.0, 2.0, 3.0, 4.0])


class AgainstTheApi(unittest.TestCase):
    def setUp(self):
        support.require_api(self)
        self.client = support.client()

    def test_graphql_errors_surface_with_the_server_message(self):
        version = support.make_version(self.client, 10)
        run = self.client.create_run(version, epochs=2)
        # An unknown key: the API answers BAD_USER_INPUT naming the cell (not just "400 Bad Request").
        run.log(0, ["0", "nope"], [1.0, 1.0], [0.0, 1.0])
        with self.assertRaises(gdc.GdcError) as caught:
            run.flush()
        err = caught.exception
        self.assertEqual(err.code, "BAD_USER_INPUT")
        self.assertIn('"nope" is not a training example', err.message)
        self.assertIn("cells[1]", err.field or err.message)
        self.assertIn('"nope"', str(err))
        # The chunk was all or nothing: nothing stored, and the client still holds the cells.
        self.assertEqual(self.client.run(run.id).refresh()["progress"]["step"], 0)

        # A role that may not ingest: FORBIDDEN with the server's explanation.
        viewer = gdc.Client(support.API, __import__("os").environ["GDC_VIEWER_TOKEN"])
        with self.assertRaisesRegex(gdc.GdcError, "createExternalRun needs one of the roles ADMIN, ENGINEER; you are VIEWER") as caught:
            viewer.create_run(version, epochs=2)
        self.assertEqual(caught.exception.code, "FORBIDDEN")
        # A bad token, and a query the server cannot parse (HTTP 400: the errors are read before the status).
        with self.assertRaises(gdc.GdcError) as caught:
            gdc.Client(support.API, "gdc_not-a-token").run(run.id)
        self.assertEqual(caught.exception.code, "UNAUTHENTICATED")
        with self.assertRaises(gdc.GdcError) as caught:
            self.client.graphql("query { run(id: ")
        self.assertEqual(caught.exception.status, 400)
        self.assertIn("Syntax Error", caught.exception.message)
        # Finishing with cells missing names them.
        with self.assertRaisesRegex(gdc.GdcError, "missing|lacks|arrived") as caught:
            self.client.run(run.id).finish()
        self.assertEqual(caught.exception.code, "CONFLICT")

    def test_values_are_checked_before_sending(self):
        run = self.client.create_run(support.make_version(self.client, 3), epochs=1)
        with self.assertRaisesRegex(ValueError, "example '1', epoch 0: loss must be finite"):
            run.log(0, [0, 1], [1.0, math.nan], [1, 0])
        with self.assertRaisesRegex(ValueError, "accuracy must be in"):
            run.log(0, [0], [1.0], [2.0])
        with self.assertRaisesRegex(ValueError, "outside the run's epochs"):
            run.log(1, [0], [1.0], [1.0])
        with self.assertRaisesRegex(ValueError, "2 keys, 1 losses"):
            run.log(0, [0, 1], [1.0], [1.0])

    def test_numpy_int_keys_minibatches_and_scores_keyed_by_the_users_ids(self):
        n, epochs = 240, 4
        version = support.make_version(self.client, n)
        run = self.client.create_run(version, epochs=epochs, framework="numpy", chunk_size=100)
        rng = np.random.default_rng(1)
        for epoch in range(epochs):
            order = rng.permutation(n)  # numpy int64 keys, in shuffled minibatches
            for start in range(0, n, 32):
                idx = order[start:start + 32]
                losses = np.array([loss_of(int(i), epoch) for i in idx], dtype=np.float32)
                run.log(epoch, idx, losses, losses < 1.0)
        self.assertEqual(run.finish(), "SUCCEEDED")
        self.assertEqual(run.sent["accepted"], n * epochs)
        self.assertEqual(run.sent["missing"], 0)
        self.assertGreaterEqual(run.sent["requests"], n * epochs // 100)

        rows = run.scores(key_type=int, as_dataframe=False)
        self.assertEqual(sorted(r["key"] for r in rows), list(range(n)))
        by_key = {r["key"]: r for r in rows}
        # Te = max(1, ceil(T/4)) = 1: difficulty is the epoch-0 loss (stored as float32).
        for i in (0, 1, 17, 239):
            self.assertAlmostEqual(by_key[i]["difficulty"], float(np.float32(loss_of(i, 0))), places=5)
        # Every 5th example (hard, then fitted) is the top fifth by memorization (the loss drop).
        top = sorted(rows, key=lambda r: -r["memorization"])[: n // 5]
        self.assertEqual(sorted(r["key"] for r in top), list(range(0, n, 5)))
        self.assertTrue({r["quadrant"] for r in top} <= {"HOTSPOT_MEMORIZED", "AMBIGUOUS_HARD"})  # all hard
        hotspots = [r["key"] for r in rows if r["quadrant"] == "HOTSPOT_MEMORIZED"]  # above θm (the top 10 %)
        self.assertTrue(hotspots and all(k % 5 == 0 for k in hotspots), hotspots)

        attached = self.client.run(run.id)  # attach: the same scores
        self.assertEqual(attached.scores(as_dataframe=False)[0]["key"], "0")

    @unittest.skipUnless(HAVE_PANDAS, "pandas is not installed (apt-get install python3-pandas)")
    def test_scores_as_a_pandas_dataframe(self):
        n = 20
        run = self.client.create_run(support.make_version(self.client, n), epochs=2)
        for epoch in range(2):
            run.log(epoch, list(range(n)), [loss_of(i, epoch) for i in range(n)], [1.0] * n)
        run.finish()
        df = run.scores(key_type=int)
        self.assertEqual(df.index.name, "key")
        self.assertEqual(sorted(df.index), list(range(n)))
        self.assertIn("memorization", df.columns)
        self.assertAlmostEqual(df.loc[3, "difficulty"], float(np.float32(loss_of(3, 0))), places=5)

    def test_presentations_within_an_epoch_are_averaged_and_a_run_can_be_resumed(self):
        n = 6
        version = support.make_version(self.client, n)
        first = self.client.create_run(version, epochs=2)
        first.log(0, range(n), [1.0] * n, [0.0] * n)
        first.log(0, [0], [3.0], [1.0])  # example 0 seen twice in epoch 0: mean loss 2.0, accuracy 0.5
        first.flush()
        resumed = support.client().run(first.id)  # another process attaches and sends the rest
        resumed.log(1, range(n), [0.5] * n, [1.0] * n)
        resumed.finish()
        rows = {r["key"]: r for r in resumed.scores(as_dataframe=False)}
        self.assertAlmostEqual(rows["0"]["difficulty"], 2.0, places=6)
        self.assertAlmostEqual(rows["0"]["correctness"], 0.75, places=6)
        self.assertAlmostEqual(rows["1"]["difficulty"], 1.0, places=6)
        # finish again: the run is already scored, which is not an error
        self.assertEqual(resumed.finish(), "SUCCEEDED")


class FlakyProxy(http.server.ThreadingHTTPServer):
    """Forwards to the API, but fails requests in turn: 503 without a body, a dropped connection
    before forwarding, and (the case idempotency is for) a dropped answer after the API applied it."""

    def __init__(self, target: str):
        self.target, self.count, self.failures = target, 0, []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self):
        self.shutdown()
        self.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/graphql"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        with self.server.lock:
            self.server.count += 1
            mode = ("ok", "503", "drop-before", "ok", "drop-after", "502")[self.server.count % 6]
            if mode != "ok":
                self.server.failures.append(mode)
        if mode == "503":
            self.send_response(503)
            self.send_header("content-type", "text/plain")
            self.send_header("retry-after", "0")
            self.end_headers()
            self.wfile.write(b"upstream unavailable")
            return
        if mode == "drop-before":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "authorization")}
        request = urllib.request.Request(self.server.target, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request) as response:
                status, answer = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, answer = err.code, err.read()
        except urllib.error.URLError:  # the API is unreachable: a gateway would answer 502
            status, answer = 502, b"bad gateway"
        if mode == "drop-after":  # the API did the work; the client never hears of it
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if mode == "502":
            status, answer = 502, b"<html>bad gateway</html>"
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


class Retries(unittest.TestCase):
    def setUp(self):
        support.require_api(self)

    def test_ingest_through_a_flaky_proxy_stores_every_cell_once(self):
        n, epochs = 90, 3
        version = support.make_version(support.client(), n)
        proxy = FlakyProxy(support.API)
        self.addCleanup(proxy.stop)
        flaky = gdc.Client(proxy.url, support.TOKEN, backoff=0.01, retries=8)
        flaky.sleep = lambda seconds: None
        run = support.client().create_run(version, epochs=epochs)  # not retried blindly: created directly
        run = flaky.run(run.id, chunk_size=20)
        for epoch in range(epochs):
            run.log(epoch, np.arange(n), [loss_of(i, epoch) for i in range(n)], [0.5] * n)
        self.assertEqual(run.finish(), "SUCCEEDED")
        self.assertGreater(flaky.retried, 0)
        self.assertTrue({"503", "drop-before", "drop-after", "502"} <= set(proxy.failures), proxy.failures)
        # A chunk whose answer was lost was applied once; its retry found every cell unchanged.
        self.assertEqual(run.sent["accepted"] + run.sent["unchanged"], n * epochs)
        self.assertGreater(run.sent["unchanged"], 0)
        rows = {r["key"]: r for r in run.scores(as_dataframe=False)}
        self.assertEqual(len(rows), n)
        self.assertAlmostEqual(rows["7"]["difficulty"], float(np.float32(loss_of(7, 0))), places=5)

    def test_retries_give_up_with_a_clear_error(self):
        proxy = FlakyProxy("http://127.0.0.1:9/graphql")  # every forward fails: the proxy answers 5xx or drops
        self.addCleanup(proxy.stop)
        c = gdc.Client(proxy.url, support.TOKEN, retries=3, backoff=0.001)
        c.sleep = lambda seconds: None
        with self.assertRaises(gdc.TransientError):
            c.run("00000000-0000-0000-0000-000000000000")
        self.assertEqual(c.retried, 3)

    def test_a_refused_connection_is_retried_then_reported(self):
        c = gdc.Client("http://127.0.0.1:9/graphql", support.TOKEN, retries=2, backoff=0.001)
        c.sleep = lambda seconds: None
        with self.assertRaisesRegex(gdc.TransientError, "after 3 attempts"):
            c.graphql("{ me { id } }")


if __name__ == "__main__":
    unittest.main()
