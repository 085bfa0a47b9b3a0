"""The seed API: tag_value, check_and_tag, track_external_call and
track_data_operation, with exact tags and events."""
from __future__ import annotations

import unittest

from rtsupport import RuntimeCase, events, fresh, here, origin, rt

FILE = __file__


def tags(value):
    t = rt.tags_of(value)
    return None if t is None else (t.categories, tuple(tuple(o) for o in t.origins))


class SeedTests(RuntimeCase):
    def test_tag_value(self):
        with rt.context():
            v = rt.tag_value(fresh("Jane"), ["name", "user_text"], source="signup-form", key="first")
            line = here() - 1
            self.assertEqual(tags(v), (("name", "user_text"), (("manual", "signup-form", "first", FILE, line),)))

    def test_check_and_tag_finds_patterns_and_names(self):
        with rt.context():
            v = rt.check_and_tag(fresh("card 4111 1111 1111 1111, mail jane@example.com"), name="billing_note")
            line = here() - 1
            self.assertEqual(tags(v), (("email", "financial"), (
                ("pattern", "email", "billing_note", FILE, line),
                ("pattern", "card", "billing_note", FILE, line))))
            w = rt.check_and_tag(fresh("nothing here"), name="user_email")
            line = here() - 1
            self.assertEqual(tags(w), (("email",), (("manual", "check_and_tag", "user_email", FILE, line),)))
            plain = fresh("nothing at all")
            self.assertIs(rt.check_and_tag(plain), plain)
            self.assertIsNone(rt.tags_of(plain))

    def test_track_external_call(self):
        with rt.context(path="/p"):
            v = rt.tag_value(fresh("jane@example.com"), "email", source="s")
            l1 = here() - 1
            self.assertTrue(rt.track_external_call("mailer", {"to": v}, destination="smtp.example.net"))
            l2 = here() - 1
            self.assertFalse(rt.track_external_call("mailer", {"to": "nobody"}))
        self.assertEqual(events(), [{
            "schema": 1, "kind": "external", "sink": "mailer", "service": "mailer",
            "destination": "smtp.example.net", "file": FILE, "line": l2,
            "function": "SeedTests.test_track_external_call", "categories": ["email"],
            "origins": [origin("manual", "s", None, FILE, l1)],
            "request": {"id": None, "method": None, "path": "/p", "endpoint": None},
            "detection": "manual",
            "values": [{"where": "args[0]['to']", "categories": ["email"], "preview": "j***@e***.com"}]}])

    def test_track_data_operation(self):
        with rt.context():
            row = {"email": fresh("jane@example.com"), "salary": fresh("52000"), "plan": fresh("pro")}
            got = rt.track_data_operation("read", "users-db", row)
            line = here() - 1
            self.assertIs(got, row)
            self.assertEqual(tags(row["email"]), (("email",), (
                ("store", "users-db", "email", FILE, line), ("pattern", "email", "email", FILE, line))))
            self.assertEqual(tags(row["salary"]), (("financial",), (("store", "users-db", "salary", FILE, line),)))
            self.assertIsNone(rt.tags_of(row["plan"]))
            self.assertEqual(rt.tags_of(row).categories, ("email", "financial"))
            out = rt.track_data_operation("write", "archive", [row["salary"]])
            line = here() - 1
            self.assertEqual(out, [row["salary"]])
        ev = events()
        self.assertEqual(len(ev), 1)
        self.assertEqual((ev[0]["kind"], ev[0]["sink"], ev[0]["service"], ev[0]["line"], ev[0]["detection"]),
                         ("store", "archive", "archive", line, "manual"))
        with self.assertRaises(ValueError):
            rt.track_data_operation("delete", "x", 1)


if __name__ == "__main__":
    unittest.main()
