"""Validates the SARIF sst-rewrite writes against sarif-2.1.0-required.json.

The SARIF comes from the CUnit binary test_cli_report (``--sarif-sample
FILE``: every finding kind, a suppression, a baseline, relative and absolute
roots, a file name that needs escaping), named by $SST_TEST_CLI_REPORT. The
schema encodes SARIF 2.1.0's required structure and GitHub code scanning's
upload requirements; what a schema cannot say (cross-references, layout) is
checked here. Run with Debian's /usr/bin/python3 (python3-jsonschema).
"""

import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from typing import Any

import jsonschema

HERE = Path(__file__).resolve().parent
SCHEMA_PATH = HERE / "sarif-2.1.0-required.json"


def load_sample() -> tuple[str, Any]:
    """Runs the test binary and returns the SARIF text and its parsed value."""
    binary = os.environ.get("SST_TEST_CLI_REPORT")
    if not binary:
        raise RuntimeError("set SST_TEST_CLI_REPORT to the test_cli_report binary")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sample.sarif"
        proc = subprocess.run([binary, "--sarif-sample", str(out)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{binary} failed:\n{proc.stdout}{proc.stderr}")
        text = out.read_text(encoding="utf-8")
    return text, json.loads(text)


class SarifTest(unittest.TestCase):
    text: str
    sarif: Any
    validator: jsonschema.Draft7Validator

    @classmethod
    def setUpClass(cls) -> None:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        jsonschema.Draft7Validator.check_schema(schema)
        cls.validator = jsonschema.Draft7Validator(
            schema, format_checker=jsonschema.FormatChecker())
        cls.text, cls.sarif = load_sample()

    def errors(self, doc: Any) -> list[str]:
        return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                      for e in self.validator.iter_errors(doc))

    def test_valid(self) -> None:
        self.assertEqual(self.errors(self.sarif), [])

    def test_rules_and_results_agree(self) -> None:
        run = self.sarif["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        ids = [rule["id"] for rule in rules]
        self.assertEqual(ids, sorted(set(ids)), "rule ids unique and sorted")
        self.assertEqual(ids, ["config/sentry", "external/openai", "external/requests",
                               "log/logging", "store/sqlite3"])
        for result in run["results"]:
            self.assertEqual(rules[result["ruleIndex"]]["id"], result["ruleId"])
            self.assertEqual(result["level"],
                             rules[result["ruleIndex"]]["defaultConfiguration"]["level"])
        used = {result["ruleId"] for result in run["results"]}
        self.assertEqual(used, set(ids), "every rule has a result, every result a rule")

    def test_locations(self) -> None:
        run = self.sarif["runs"][0]
        bases = run.get("originalUriBaseIds", {})
        for base in bases.values():
            self.assertTrue(base["uri"].endswith("/"), base)
        uris = []
        for result in run["results"]:
            loc = result["locations"][0]["physicalLocation"]
            art = loc["artifactLocation"]
            uris.append(art["uri"])
            if "uriBaseId" in art:
                self.assertIn(art["uriBaseId"], bases)
                self.assertFalse(art["uri"].startswith("/"))
                self.assertNotRegex(art["uri"], r"^[A-Za-z][A-Za-z0-9+.-]*:", "no scheme")
            else:
                self.assertTrue(art["uri"].startswith("file:///"), art)
            region = loc["region"]
            self.assertEqual(region["endLine"], region["startLine"])
            self.assertGreater(region["endColumn"], region["startColumn"])
        self.assertEqual(uris, [
            "src/app/insight.py", "src/app/insight.py",
            "file:///abs/src/caf%C3%A9/sms.py", "file:///abs/src/caf%C3%A9/sms.py",
            "src/jobs.py", "src/settings/prod%20%231.py"])

    def test_fingerprints_and_states(self) -> None:
        results = self.sarif["runs"][0]["results"]
        prints = [r["partialFingerprints"]["sstFinding/v1"] for r in results]
        for fp in prints:
            self.assertRegex(fp, r"^[0-9a-f]{16}$")
        self.assertEqual(len(set(prints)), len(prints))
        self.assertEqual([r.get("baselineState") for r in results],
                         ["updated", "new", "new", "new", "new", "new"])
        self.assertEqual([r.get("suppressions") for r in results],
                         [None, None, None, [{"kind": "inSource"}], None, None])

    def test_messages(self) -> None:
        texts = [r["message"]["text"] for r in self.sarif["runs"][0]["results"]]
        self.assertEqual(texts[0], "email, financial may reach openai (api.openai.com) "
                                   "through openai.OpenAI().responses.create")
        self.assertEqual(texts[2], "phone may reach requests through requests.post")
        self.assertEqual(texts[5], "sentry_sdk.init configures sentry (sentry.io) "
                                   "to send personal data")

    def test_layout_is_canonical(self) -> None:
        # The same bytes as a JSON pretty printer would write: deterministic,
        # nothing hand-formatted differently in some corner.
        again = json.dumps(self.sarif, indent=2, ensure_ascii=False) + "\n"
        self.assertEqual(self.text, again)

    def test_schema_rejects_what_github_rejects(self) -> None:
        """The schema is not vacuous: each damaged copy fails it."""
        def damaged(path: str, value: Any = None, delete: bool = False) -> Any:
            doc = copy.deepcopy(self.sarif)
            *parents, last = [int(p) if re.fullmatch(r"\d+", p) else p for p in path.split("/")]
            node = doc
            for p in parents:
                node = node[p]
            if delete:
                del node[last]
            else:
                node[last] = value
            return doc

        result = "runs/0/results/0"
        rule = "runs/0/tool/driver/rules/0"
        loc = f"{result}/locations/0/physicalLocation"
        # name: (damaged copy, what the first error must say)
        cases = {
            "no $schema": (damaged("$schema", delete=True), "'$schema' is a required"),
            "version 2.0.0": (damaged("version", "2.0.0"), "'2.1.0' was expected"),
            "no run": (damaged("runs", []), "runs: [] is too short"),
            "no results": (damaged("runs/0/results", delete=True), "'results' is a required"),
            "no rules": (damaged("runs/0/tool/driver/rules", delete=True),
                         "'rules' is a required"),
            "rule without help": (damaged(f"{rule}/help", delete=True), "'help' is a required"),
            "empty short description": (damaged(f"{rule}/shortDescription/text", ""),
                                        "shortDescription/text: '' is too short"),
            "rule level info": (damaged(f"{rule}/defaultConfiguration/level", "info"),
                                "'info' is not one of"),
            "long rule name": (damaged(f"{rule}/name", "x" * 256), "is too long"),
            "no message text": (damaged(f"{result}/message", {"id": "m"}),
                                "message: 'text' is a required"),
            "empty message": (damaged(f"{result}/message/text", ""),
                              "message/text: '' is too short"),
            "no locations": (damaged(f"{result}/locations", []), "locations: [] is too short"),
            "eleven locations": (damaged(f"{result}/locations",
                                         self.sarif["runs"][0]["results"][0]["locations"] * 11),
                                 "is too long"),
            "no uri": (damaged(f"{loc}/artifactLocation/uri", delete=True),
                       "'uri' is a required"),
            "uri with a space": (damaged(f"{loc}/artifactLocation/uri", "a b.py"),
                                 "is not a 'uri-reference'"),
            "line 0": (damaged(f"{loc}/region/startLine", 0), "less than the minimum of 1"),
            "no start column": (damaged(f"{loc}/region/startColumn", delete=True),
                                "'startColumn' is a required"),
            "no fingerprints": (damaged(f"{result}/partialFingerprints", delete=True),
                                "'partialFingerprints' is a required"),
            "level warn": (damaged(f"{result}/level", "warn"), "'warn' is not one of"),
            "negative rule index": (damaged(f"{result}/ruleIndex", -1),
                                    "less than the minimum of 0"),
            "baseline state old": (damaged(f"{result}/baselineState", "old"),
                                   "'old' is not one of"),
            "suppression kind": (damaged(f"{result}/suppressions", [{"kind": "inline"}]),
                                 "'inline' is not one of"),
            "misspelt property": (damaged(f"{result}/partialFingerprint", {}),
                                  "('partialFingerprint' was unexpected)"),
            "column kind": (damaged("runs/0/columnKind", "characters"),
                            "'characters' is not one of"),
        }
        for name, (doc, reason) in cases.items():
            with self.subTest(name):
                errors = self.errors(doc)
                self.assertEqual(len(errors), 1, errors)
                self.assertIn(reason, errors[0])



if __name__ == "__main__":
    sys.exit(unittest.main())
