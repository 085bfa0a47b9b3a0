"""Sinks: external() and store() record exactly the expected event, then call
the original callee untouched (result and exception pass through); the
destination host; what the walk over the arguments reports; the callback;
never an exception from the runtime into user code."""
from __future__ import annotations

import gc
import os
import tempfile
import traceback
import unittest

from rtsupport import RuntimeCase, events, fresh, here, origin, qualname, rt

FILE = __file__


class Responses:
    """The shape of an SDK resource: client.responses.create(...)."""

    def __init__(self, client):
        self._client = client

    def create(self, input=None, model=None):
        return {"output": "ok", "model": model}


class AIClient:
    def __init__(self, base_url):
        self.base_url = base_url
        self.responses = Responses(self)


class Connection:
    """The shape of http.client.HTTPConnection: a host attribute."""

    def __init__(self, host):
        self.host = host
        self.sent = []

    def request(self, method, path, body=None):
        self.sent.append((method, path, body))
        return len(self.sent)


class Row:
    def __init__(self, email, plan):
        self.email = email
        self.plan = plan
        self._secret_state = email


class Refused(Exception):
    pass


def noop(*args, **kwargs):
    return args, kwargs


class EventTests(RuntimeCase):
    def test_a_tagged_request_field_sent_to_an_sdk(self):
        client = AIClient("https://api.ai.example:443/v1/")
        with rt.context(method="POST", path="/insight", endpoint="insight", request_id="r-1"):
            income = rt.source(("flask.request.form", "income"), fresh("52000")); l1 = here()  # noqa: E702
            prompt = rt.flow((f"Advise on an income of {income}"), income)
            create = rt.external("example.AI().responses.create", client.responses.create, (prompt,))
            result = create(input=prompt, model="small"); l2 = here()  # noqa: E702
        self.assertEqual(result, {"output": "ok", "model": "small"})
        self.assertEqual(events(), [{
            "schema": 1, "kind": "external", "sink": "example.AI().responses.create", "service": None,
            "destination": "api.ai.example", "file": FILE, "line": l2, "function": qualname(),
            "categories": ["financial", "user_text"],
            "origins": [origin("request", "flask.request.form", "income", FILE, l1)],
            "request": {"id": "r-1", "method": "POST", "path": "/insight", "endpoint": "insight"},
            "detection": "static",
            "values": [{"where": "kwargs['input']", "categories": ["financial", "user_text"],
                        "preview": "A***"}]}])

    def test_an_untagged_value_that_matches_a_detector(self):
        post = rt.external("requests.post", noop, ())
        post("https://hooks.example.com:8443/in", json={"contact": fresh("jane@example.com")})
        line = here() - 1
        self.assertEqual(events(), [{
            "schema": 1, "kind": "external", "sink": "requests.post", "service": "requests",
            "destination": "hooks.example.com", "file": FILE, "line": line, "function": qualname(),
            "categories": ["email"], "origins": [origin("pattern", "email", None, FILE, line)],
            "request": None, "detection": "static",
            "values": [{"where": "kwargs['json']['contact']", "categories": ["email"],
                        "preview": "j***@e***.com"}]}])

    def test_a_store_of_an_object_with_tagged_attributes(self):
        def add(email):
            rt.params(("email",), email)
            row = Row(email, "pro")
            return rt.store("sqlalchemy.session.add", noop, (row,))(row), here()

        with rt.context():
            _, line = add(fresh("jane@example.com"))
        ev = events()
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["kind"], "store")
        self.assertEqual(ev[0]["line"], line)
        self.assertEqual(ev[0]["function"], "EventTests.test_a_store_of_an_object_with_tagged_attributes."
                                             "<locals>.add")
        self.assertEqual(ev[0]["values"], [{"where": "args[0].email", "categories": ["email"],
                                            "preview": "j***@e***.com"}])
        self.assertEqual(ev[0]["origins"], [origin("parameter", ev[0]["function"], "email", FILE,
                                                   add.__code__.co_firstlineno)])

    def test_nothing_tagged_nothing_matched_no_event(self):
        got = rt.store("logging.info", noop, ())("user %s logged in", 42, extra={"n": [1, 2.5, None]})
        self.assertEqual(got, (("user %s logged in", 42), {"extra": {"n": [1, 2.5, None]}}))
        self.assertEqual(events(), [])

    def test_the_same_object_in_arguments_and_sources_is_reported_once(self):
        with rt.context():
            email = rt.tag_value(fresh("jane@example.com"), "email")
            rt.external("requests.post", noop, ("https://x.example", email))("https://x.example", data=email)
        self.assertEqual([v["where"] for v in events()[0]["values"]], ["kwargs['data']"])

    def test_a_value_found_only_in_the_static_sources(self):
        with rt.context():
            email = rt.tag_value(fresh("jane@example.com"), "email")
            rt.external("requests.post", noop, (email,))("https://x.example", data=b"opaque")
        self.assertEqual([v["where"] for v in events()[0]["values"]], ["sources[0]"])

    def test_an_object_in_the_static_sources_counts_by_its_tags_not_its_text(self):
        # print(f"port {settings.port}") passes `settings` as a static source:
        # an address in another of its attributes is not what the call sends.
        settings = Row("ops@example.com", "pro")
        rt.store("print", noop, (settings,))(f"port {8080}")
        self.assertEqual(events(), [])
        with rt.context():
            rt.store("print", noop, (settings,))(f"port {8080}")
            self.assertEqual(events(), [])
            # ... but a tagged attribute is the program's personal data
            settings.plan = rt.tag_value(fresh("Jane Doe"), "name")
            rt.store("print", noop, (settings,))(f"port {8080}")
        self.assertEqual([[(v["where"], v["categories"]) for v in e["values"]] for e in events()],
                         [[("sources[0].plan", ["name"])]])

    def test_an_object_among_the_arguments_is_given_to_the_detectors(self):
        rt.store("print", noop, ())(Row("ops@example.com", "pro"))
        self.assertEqual([(v["where"], v["categories"]) for v in events()[0]["values"]],
                         [("args[0].email", ["email"])])


class DetectorTests(RuntimeCase):
    CASES = [
        ("write to jane.doe@example.com", "email", "email", "j***@e***.com"),
        ("call +4915112345678", "phone", "phone", "*********5678"),
        ("card 4111 1111 1111 1111", "card", "financial", "************1111"),
        ("iban DE89 3704 0044 0532 0130 00", "iban", "financial", "D***"),
        ("ssn 123-45-6789", "us_ssn", "government_id", "1***"),
        ("from 203.0.113.7", "ipv4", "network_id", "2***"),
        ("from 2001:db8::7", "ipv6", "network_id", "2***"),
        ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789", "bearer", "credentials", "B***"),
    ]

    def test_each_detector_in_an_event(self):
        for text, detector, category, preview in self.CASES:
            rt.external("requests.post", noop, ())(fresh(text))
            line = here() - 1
            ev = events()
            rt.clear_events()
            self.assertEqual((ev[0]["categories"], ev[0]["origins"], ev[0]["values"]), (
                [category], [origin("pattern", detector, None, FILE, line)],
                [{"where": "args[0]", "categories": [category], "preview": preview}]), text)

    def test_a_custom_pattern_from_configuration(self):
        rt.configure(patterns={"employee_id": (r"EMP-[0-9]{6}", ["government_id", "name"])})
        try:
            rt.store("logging.info", noop, ())(fresh("badge EMP-123456 at the door"))
            line = here() - 1
            with self.assertRaises(ValueError):
                rt.configure(patterns={"bad name!": ("x", ["email"])})
        finally:
            rt.configure(patterns={})
        ev = events()
        self.assertEqual((ev[0]["categories"], ev[0]["origins"]),
                         (["name", "government_id"], [origin("pattern", "employee_id", None, FILE, line)]))
        rt.clear_events()
        rt.store("logging.info", noop, ())(fresh("badge EMP-123456 at the door"))
        self.assertEqual(events(), [])

    def test_a_tagged_text_that_holds_more_than_its_tags_say(self):
        with rt.context():
            note = rt.source(("flask.request.form", "note"), fresh("mail me: jane@example.com"))
            l1 = here() - 1
            rt.external("requests.post", noop, ())(note)
            l2 = here() - 1
            email = rt.tag_value(fresh("jane@example.com"), "email", source="s")
            l3 = here() - 1
            rt.external("requests.post", noop, ())(email)
        first, second = events()
        self.assertEqual((first["categories"], first["origins"]), (["email", "user_text"], [
            origin("request", "flask.request.form", "note", FILE, l1), origin("pattern", "email", None, FILE, l2)]))
        # A match that adds nothing to the tags adds no origin either.
        self.assertEqual((second["categories"], second["origins"]),
                         (["email"], [origin("manual", "s", None, FILE, l3)]))


class WalkTests(RuntimeCase):
    def where(self, *args, **kwargs):
        rt.external("requests.post", noop, ())(*args, **kwargs)
        ev = events()
        rt.clear_events()
        return [v["where"] for v in ev[0]["values"]] if ev else []

    def test_locations(self):
        with rt.context():
            email = rt.tag_value(fresh("jane@example.com"), "email")
            self.assertEqual(self.where([1, (2, {"to": [email]})]), ["args[0][1][1]['to'][0]"])
            self.assertEqual(self.where({"not an identifier": email}), ["args[0][?]"])
            self.assertEqual(self.where({5: email}), ["args[0][?]"])
            self.assertEqual(self.where(x={email}), ["kwargs['x']{}"])
            self.assertEqual(self.where(Row(email, "free")), ["args[0].email"])

    def test_single_underscore_attributes_are_data_dunder_ones_are_not(self):
        from email.message import EmailMessage

        message = EmailMessage()
        message["To"] = "jane@example.com"
        message.set_content("Hello")
        self.assertEqual(self.where(message), ["args[0]._headers[0][1]"])
        with rt.context():
            email = rt.tag_value(fresh("jane@example.com"), "email")
            row = Row("free", "free")
            row._cache = email
            row.__secret = email  # no mangling outside a class: the name is "__secret"
            self.assertEqual(self.where(row), ["args[0]._cache"])

    def test_a_personal_key_is_reported_and_never_written_in_a_location(self):
        self.assertEqual(self.where({fresh("jane@example.com"): {"id": fresh("a@b.example.org")}}),
                         ["args[0]{key}", "args[0][?]['id']"])

    def test_depth_and_size_are_bounded(self):
        with rt.context():
            email = rt.tag_value(fresh("jane@example.com"), "email")
            self.assertEqual(self.where([[[[email]]]]), ["args[0][0][0][0][0]"])
            self.assertEqual(self.where([[[[[email]]]]]), [])
            self.assertEqual(self.where([0] * 64 + [email]), [])
            many = [rt.tag_value(fresh(f"user{i}@example.com"), "email") for i in range(10)]
            self.assertEqual(self.where(many), [f"args[0][{i}]" for i in range(8)])

    def test_cycles_end(self):
        with rt.context():
            loop = [rt.tag_value(fresh("jane@example.com"), "email")]
            loop.append(loop)
            self.assertEqual(self.where(loop), ["args[0][0]"])

    def test_raw_values_only_when_asked(self):
        with rt.context():
            email = rt.tag_value(fresh("jane@example.com"), "email")
            amount = rt.tag_value(int("52000"), "financial")
            rt.external("requests.post", noop, ())(email, amount, [1])
            rt.configure(values=True)
            rt.external("requests.post", noop, ())(email, amount, [1])
        plain, raw = rt.events()
        self.assertEqual(plain["values"], [
            {"where": "args[0]", "categories": ["email"], "preview": "j***@e***.com"},
            {"where": "args[1]", "categories": ["financial"], "preview": "<int>"}])
        self.assertEqual(raw["values"], [
            {"where": "args[0]", "categories": ["email"], "preview": "j***@e***.com",
             "value": "jane@example.com"},
            {"where": "args[1]", "categories": ["financial"], "preview": "<int>", "value": "52000"}])
        self.assertNotIn("jane@example.com", repr(plain))

    def test_previews_of_containers(self):
        with rt.context():
            rows = rt.tag_value([1, 2, 3], "financial")
            rt.external("requests.post", noop, ())(rows)
        self.assertEqual(events()[0]["values"], [{"where": "args[0]", "categories": ["financial"],
                                                  "preview": "<list len=3>"}])


class DestinationTests(RuntimeCase):
    def destination(self, func, *args, **kwargs):
        rt.external("example.call", func, (fresh("jane@example.com"),))(*args, **kwargs)
        ev = rt.events()
        rt.clear_events()
        return ev[0]["destination"]

    def test_url_arguments(self):
        self.assertEqual(self.destination(noop, "https://api.example.com/v1?q=1"), "api.example.com")
        self.assertEqual(self.destination(noop, "http://[2001:db8::1]:8080/x"), "2001:db8::1")
        self.assertEqual(self.destination(noop, "POST", url="https://u@kw.example:1/"), "kw.example")
        self.assertEqual(self.destination(noop, "relative/path"), None)

    def test_client_attributes(self):
        conn = Connection("mail.example.net")
        self.assertEqual(self.destination(conn.request, "POST", "/v1/send"), "mail.example.net")
        client = AIClient("https://api.ai.example/v1/")
        self.assertEqual(self.destination(client.responses.create), "api.ai.example")
        self.assertEqual(self.destination(globals), None)   # __self__ is a module

    def test_a_store_takes_no_host_from_its_arguments_or_client(self):
        conn = Connection("db.internal.example")
        rt.store("sqlite3.Cursor().execute", conn.request, ())("https://x.example/", fresh("jane@example.com"))
        self.assertEqual(events()[0]["destination"], None)

    def test_the_catalogue_host(self):
        with tempfile.NamedTemporaryFile("w", suffix=".cat", delete=False) as f:
            f.write("service acme host=api.acme.example\nexternal acme.Client().send\n")
        try:
            rt.configure(catalog=f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(rt.catalog_lookup("acme.Client().send"),
                         {"kind": "external", "service": "acme", "host": "api.acme.example", "categories": ()})
        rt.external("acme.Client().send", noop, ())(fresh("jane@example.com"))
        self.assertEqual((events()[0]["service"], events()[0]["destination"]), ("acme", "api.acme.example"))

    def test_a_bad_catalogue_file_is_an_error_naming_file_and_line(self):
        with tempfile.NamedTemporaryFile("w", suffix=".cat", delete=False) as f:
            f.write("service acme\nexternal ok.path\nfrobnicate x.y\n")
        try:
            with self.assertRaises(ValueError) as cm:
                rt.configure(catalog=f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(str(cm.exception), f"{f.name}:3: unknown directive 'frobnicate' "
                                            "(service, external, store, log, config, source, returns, names, unless)")


class Emptier:
    """Garbage in a reference cycle whose finalizer empties a container."""

    def __init__(self, victim):
        self.victim = victim
        self.cycle = self

    def __del__(self):
        self.victim.clear()


class HostileFinalizerTests(RuntimeCase):
    def test_finalizers_that_empty_the_inspected_containers_do_not_crash(self):
        calls = []
        old = gc.get_threshold()
        gc.set_threshold(1, 1, 1)
        try:
            with rt.context():
                for _ in range(50):
                    items = [rt.tag_value(fresh(f"user{i}@example.com"), "email") for i in range(20)]
                    table = {f"k{i}": v for i, v in enumerate(items)}
                    for victim in (items, table):
                        Emptier(victim)
                    gc.disable()
                    gc.enable()
                    rt.external("requests.post", lambda *a: calls.append(1), (items, table))([items], {"t": table})
                    rt.source(("flask.request.get_json()", None), {"rows": items, "t": table})
        finally:
            gc.set_threshold(*old)
            gc.collect()
        self.assertEqual(len(calls), 50)   # every call went through, none crashed


class PassThroughTests(RuntimeCase):
    def test_the_result_is_the_callee_s_own_object(self):
        marker = object()
        self.assertIs(rt.external("requests.post", lambda *a: marker, ())(fresh("jane@example.com")), marker)

    def test_a_user_exception_passes_through_unchanged(self):
        err = Refused("quota")

        def send(data):
            raise err

        with rt.context():
            v = rt.tag_value(fresh("jane@example.com"), "email")
            try:
                rt.external("requests.post", send, (v,))(v)
            except Refused as exc:
                caught = exc
        self.assertIs(caught, err)
        frames = [f.name for f in traceback.extract_tb(caught.__traceback__)]
        self.assertEqual(frames[-1], "send")
        self.assertEqual(len(events()), 1)   # recorded before the call

    def test_arguments_arrive_untouched(self):
        got = []
        args = ([1, 2], {"k": "v"})

        def f(*a, **kw):
            got.append((a, kw))

        with rt.context():
            v = rt.tag_value(fresh("jane@example.com"), "email")
            rt.store("json.dump", f, ())(args[0], v, key=args[1])
        self.assertEqual(len(got), 1)
        self.assertIs(got[0][0][0], args[0])
        self.assertIs(got[0][0][1], v)
        self.assertIs(got[0][1]["key"], args[1])

    def test_the_static_sink_flag_is_set_while_the_callee_runs(self):
        seen = []
        rt.external("requests.post", lambda: seen.append(rt.in_static_sink()), ())()
        self.assertEqual(seen, [True])
        self.assertFalse(rt.in_static_sink())

    def test_a_failing_callback_is_counted_and_the_call_proceeds(self):
        calls = []

        def bad(event):
            raise RuntimeError("callback broke")

        rt.configure(callback=bad)
        before = rt.stats()["failures"]
        out = rt.external("requests.post", lambda v: calls.append(v) or "done", ())(fresh("jane@example.com"))
        self.assertEqual(out, "done")
        self.assertEqual(len(calls), 1)
        self.assertEqual(rt.stats()["failures"], before + 1)
        self.failures_before += 1

    def test_the_callback_gets_each_event_and_its_own_sinks_record_nothing(self):
        got = []

        def callback(event):
            got.append(event["sink"])
            rt.external("requests.post", noop, ())(fresh("inner@example.com"))

        rt.configure(callback=callback)
        rt.external("requests.post", noop, ())(fresh("jane@example.com"))
        self.assertEqual(got, ["requests.post"])
        self.assertEqual(len(rt.events()), 1)


if __name__ == "__main__":
    unittest.main()
