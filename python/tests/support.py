"""Shared by the tests: the API under test (GDC_API_URL, GDC_TOKEN: an ENGINEER's token,
GDC_VIEWER_TOKEN), and datasets whose example ids are "0".."n-1"."""
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gendatacarto as gdc  # noqa: E402

API = os.environ.get("GDC_API_URL")
TOKEN = os.environ.get("GDC_TOKEN")


def require_api(case: unittest.TestCase) -> None:
    if not API or not TOKEN:  # run through apps/api/test/python-client.int.test.ts, which starts the API
        raise RuntimeError("set GDC_API_URL and GDC_TOKEN (an ENGINEER's token); "
                           "`npx vitest run apps/api/test/python-client.int.test.ts` starts an API and does so")


def client(**options) -> gdc.Client:
    c = gdc.Client(API, TOKEN, **options)
    c.sleep = lambda seconds: None if seconds < 0.05 else __import__("time").sleep(0.05)  # fast backoff in tests
    return c


def make_version(c: gdc.Client, n: int, release: bool = True) -> str:
    """A dataset whose n examples have the ids "0".."n-1"; version 1, released (a run trains on it)."""
    tag = uuid.uuid4().hex[:10]
    dataset = c.graphql("mutation ($name: String!) { createDataset(input: { name: $name }) { versions { id } } }",
                        {"name": f"py-{tag}"}, retry=False)["createDataset"]
    version_id = dataset["versions"][0]["id"]
    examples = [{"id": str(i), "text": f"python test example {i} {tag}"} for i in range(n)]
    c.graphql("mutation ($v: ID!, $e: [ExampleInput!]!) { importExamples(input: { versionId: $v, examples: $e }) { created } }",
              {"v": version_id, "e": examples})
    if release:
        c.graphql("mutation ($v: ID!) { releaseVersion(input: {versionId: $v}) { id } }", {"v": version_id}, retry=False)
    return version_id
