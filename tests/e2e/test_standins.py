"""The stand-in client packages (fixtures/standins): the vendors' call shapes
over real HTTP to a local server, and never anything but loopback."""
from __future__ import annotations

import os
import sys
import unittest

import e2e_support as e2e

sys.path.insert(0, e2e.STANDINS)

import analytics  # noqa: E402
import openai  # noqa: E402
from standin_servers import ADVICE, StandIns  # noqa: E402


class StandInsTest(unittest.TestCase):
    def test_openai_responses_create_over_http(self) -> None:
        with StandIns() as servers:
            client = openai.OpenAI(api_key="sk-test", base_url=f"http://127.0.0.1:{servers.api_port}/v1")
            response = client.responses.create(model="gpt-4o-mini", input="hello")
            self.assertEqual(response.output_text, ADVICE)
            self.assertEqual(response.id, "resp_standin_1")
            self.assertEqual(servers.received.http, [("/v1/responses", {"model": "gpt-4o-mini", "input": "hello"})])
        # the SDK's layout, which the call tracer's row names
        from openai.resources.responses import Responses
        self.assertIs(type(client.responses), Responses)
        self.assertIs(client.responses._client, client)

    def test_openai_reads_the_environment(self) -> None:
        saved = {k: os.environ.get(k) for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
        try:
            os.environ["OPENAI_API_KEY"] = "sk-env"
            os.environ["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1/"
            client = openai.OpenAI()
            self.assertEqual((client.api_key, client.base_url), ("sk-env", "http://127.0.0.1:9/v1"))
            del os.environ["OPENAI_API_KEY"]
            with self.assertRaises(openai.OpenAIError):
                openai.OpenAI()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def test_never_beyond_loopback(self) -> None:
        for url in ("https://api.openai.com/v1", "http://10.0.0.1/v1", "http://example.com/v1"):
            with self.subTest(url=url):
                client = openai.OpenAI(api_key="sk-test", base_url=url)
                with self.assertRaisesRegex(openai.OpenAIError, "loopback"):
                    client.responses.create(model="m", input="x")
        client = analytics.Client("key", host="https://api.segment.io", sync_mode=True)
        with self.assertRaisesRegex(ValueError, "loopback"):
            client.identify("u1", {"plan": "free"})

    def test_segment_identify_over_http(self) -> None:
        with StandIns() as servers:
            analytics.write_key, analytics.host, analytics.sync_mode = "key", f"http://127.0.0.1:{servers.api_port}", True
            analytics.default_client = None
            ok, msg = analytics.identify("u1", {"plan": "free"})
            analytics.default_client = None
            self.assertTrue(ok)
            [(path, body)] = servers.received.http
            self.assertEqual(path, "/v1/batch")
            self.assertEqual([(m["type"], m["userId"], m["traits"]) for m in body["batch"]],
                             [("identify", "u1", {"plan": "free"})])

    def test_segment_async_mode_is_refused(self) -> None:
        with self.assertRaises(NotImplementedError):
            analytics.Client("key", host="http://127.0.0.1:9", sync_mode=False)


if __name__ == "__main__":
    unittest.main()
