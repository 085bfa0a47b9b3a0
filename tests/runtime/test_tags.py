"""Tags, the injected tagging functions and contexts: exact tags for each
function of docs/abi.md, shared objects never tagged, no address reuse, the
bounded table, contexts per thread and per asyncio task."""
from __future__ import annotations

import asyncio
import contextvars
import gc
import sys
import threading
import unittest
import weakref

from rtsupport import RuntimeCase, fresh, here, rt

FILE = __file__
CONSTANT_TEXT = "a constant with spaces, never interned"


def O(kind, source, key, file, line):  # noqa: N802 - reads like the record it builds
    return (kind, source, key, file, line)


def tags(value):
    t = rt.tags_of(value)
    return None if t is None else (t.categories, tuple(tuple(o) for o in t.origins))


class Obj:
    pass


class SharedValuesTests(RuntimeCase):
    SHARED = [None, True, False, 0, 1, -5, 256, "", "a", "\xe9", b"", b"x", (), frozenset(), Ellipsis]

    def test_shared_values_are_never_tagged(self):
        with rt.context():
            for v in self.SHARED:
                self.assertIs(rt.tag_value(v, "email"), v, repr(v))
                self.assertIs(rt.source(("flask.request.form", "email"), v), v, repr(v))
                rt.params(("email",), v)
                rt.derive((rt.tag_value(fresh("x@example.com"), "email"),), v)
                self.assertIsNone(rt.tags_of(v), repr(v))

    def test_interned_string_is_copied_and_the_copy_tagged(self):
        shared = sys.intern("jane_doe_example")
        with rt.context():
            got = rt.source(("flask.request.form", "full_name"), shared)
            line = here() - 1
            self.assertEqual(got, shared)
            self.assertIsNot(got, shared)
            self.assertIsNone(rt.tags_of(shared))
            self.assertEqual(tags(got), (("name", "user_text"),
                                         (O("request", "flask.request.form", "full_name", FILE, line),)))

    def test_identifier_constant_is_copied_by_tag_value(self):
        with rt.context():
            got = rt.tag_value("email", "email", source="seed", key="k")
            line = here() - 1
            self.assertEqual(got, "email")
            self.assertIsNot(got, "email")
            self.assertIsNone(rt.tags_of("email"))
            self.assertEqual(tags(got), (("email",), (O("manual", "seed", "k", FILE, line),)))

    def test_large_int_and_containers_are_tagged(self):
        with rt.context():
            big = int("90000")
            rows = [1, 2]
            self.assertIs(rt.tag_value(big, "financial"), big)
            self.assertIs(rt.tag_value(rows, ["financial", "name"]), rows)
            self.assertEqual(rt.tags_of(big).categories, ("financial",))
            self.assertEqual(rt.tags_of(rows).categories, ("name", "financial"))

    def test_unknown_category_is_an_error_of_the_caller(self):
        with self.assertRaises(ValueError):
            rt.tag_value(fresh("xx"), "shoe_size")


class ParamsTests(RuntimeCase):
    def test_parameters_are_tagged_by_their_names(self):
        def signup(email, full_name, age, note):
            rt.params(("email", "full_name", "age", "note"), email, full_name, age, note)

        first = signup.__code__.co_firstlineno
        qual = "ParamsTests.test_parameters_are_tagged_by_their_names.<locals>.signup"
        with rt.context():
            email, name, note = fresh("jane@example.com"), fresh("Jane Doe"), fresh("hello there")
            signup(email, name, 40, note)
            self.assertEqual(tags(email), (("email",), (O("parameter", qual, "email", FILE, first),)))
            self.assertEqual(tags(name), (("name",), (O("parameter", qual, "full_name", FILE, first),)))
            self.assertIsNone(rt.tags_of(note))   # "note" means nothing, the value matches nothing

    def test_a_tagged_value_keeps_its_first_origin(self):
        def send(email):
            rt.params(("email",), email)

        with rt.context():
            v = rt.source(("flask.request.form", "email"), fresh("jane@example.com"))
            line = here() - 1
            send(v)
            self.assertEqual(tags(v), (("email", "user_text"),
                                       (O("request", "flask.request.form", "email", FILE, line),)))

    def test_a_name_that_means_nothing_is_checked_by_the_detectors(self):
        def log_it(text):
            rt.params(("text",), text); line = here()  # noqa: E702 - the injected form
            return line

        with rt.context():
            v = fresh("call jane@example.com today")
            line = log_it(v)
            self.assertEqual(tags(v), (("email",), (O("pattern", "email", "text", FILE, line),)))

    def test_the_same_names_in_two_functions_keep_their_own_origin(self):
        def a(email):
            rt.params(("email",), email)

        def b(email):
            rt.params(("email",), email)

        with rt.context():
            x, y = fresh("a@example.com"), fresh("b@example.com")
            a(x)
            b(y)
            self.assertEqual(rt.tags_of(x).origins[0].source.rsplit(".", 1)[1], "a")
            self.assertEqual(rt.tags_of(y).origins[0].source.rsplit(".", 1)[1], "b")
            self.assertEqual(rt.tags_of(y).origins[0].line, b.__code__.co_firstlineno)


class FlowTests(RuntimeCase):
    def test_a_fresh_value_gets_the_union_of_its_sources(self):
        with rt.context():
            email = rt.tag_value(fresh("jane@example.com"), "email", source="s1")
            l1 = here() - 1
            income = rt.tag_value(int("52000"), "financial", source="s2")
            l2 = here() - 1
            body = rt.flow((f"{email} earns {income}"), email, income)
            self.assertEqual(body, "jane@example.com earns 52000")
            self.assertEqual(tags(body), (("email", "financial"),
                                          (O("manual", "s1", None, FILE, l1),
                                           O("manual", "s2", None, FILE, l2))))

    def test_one_source_shares_its_tags_object(self):
        with rt.context():
            email = rt.tag_value(fresh("jane@example.com"), "email")
            body = rt.flow((email + " "), email)
            self.assertIs(rt.tags_of(body), rt.tags_of(email))

    def test_constants_and_shared_objects_are_never_tagged(self):
        cache = {"rows": [1, 2, 3]}
        with rt.context():
            email = rt.tag_value(fresh("jane@example.com"), "email")
            self.assertIs(rt.flow(CONSTANT_TEXT, email), CONSTANT_TEXT)
            self.assertIs(rt.flow((cache["rows"]), email), cache["rows"])
            self.assertIsNone(rt.tags_of(CONSTANT_TEXT))
            self.assertIsNone(rt.tags_of(cache["rows"]))

    def test_an_element_of_tagged_data_inherits_its_tags(self):
        with rt.context():
            name = fresh("Jane Doe")
            rows = rt.tag_value([name, fresh("other")], "name")
            data = rt.tag_value({"who": fresh("John Roe")}, "name")
            got = rt.flow((rows[0]), rows)
            who = rt.flow((data["who"]), data)
            self.assertIs(got, name)
            self.assertEqual(rt.tags_of(got).categories, ("name",))
            self.assertEqual(rt.tags_of(who).categories, ("name",))

    def test_nothing_tagged_returns_the_value_and_tags_nothing(self):
        with rt.context() as ctx:
            v = [1]
            self.assertIs(rt.flow((v), fresh("plain")), v)
            self.assertEqual(ctx.tagged, 0)

    def test_a_container_built_from_tagged_values_is_tagged(self):
        with rt.context():
            email = rt.tag_value(fresh("jane@example.com"), "email")
            payload = rt.flow(({"user": email, "n": 1}), email)
            self.assertEqual(rt.tags_of(payload).categories, ("email",))


class DeriveCarryTests(RuntimeCase):
    def test_unpacked_targets_get_the_tags_of_the_sources(self):
        with rt.context():
            full_name = rt.tag_value(fresh("Jane Doe"), "name")
            first, last = full_name.split(" "); rt.derive((full_name,), first, last)  # noqa: E702
            self.assertEqual(rt.tags_of(first).categories, ("name",))
            self.assertEqual(rt.tags_of(last).categories, ("name",))

    def test_augmented_assignment_keeps_the_old_tags(self):
        with rt.context():
            body = rt.tag_value(fresh("income 52000"), "financial")
            text = rt.tag_value(fresh(" for jane@example.com"), "email")
            rt.carry(body); body += text; rt.derive((text,), body)  # noqa: E702
            self.assertEqual(body, "income 52000 for jane@example.com")
            self.assertEqual(rt.tags_of(body).categories, ("email", "financial"))

    def test_a_carry_of_another_frame_is_not_used(self):
        def elsewhere(v):
            rt.carry(v)

        with rt.context():
            secret = rt.tag_value(fresh("income 52000"), "financial")
            elsewhere(secret)
            body = fresh("plain")
            body += "!"; rt.derive((), body)  # noqa: E702
            self.assertIsNone(rt.tags_of(body))

    def test_a_bound_shared_object_is_not_tagged(self):
        with rt.context():
            email = rt.tag_value(fresh("jane@example.com"), "email")
            alias = CONSTANT_TEXT; rt.derive((email,), alias)  # noqa: E702
            self.assertIsNone(rt.tags_of(CONSTANT_TEXT))


class SourceTests(RuntimeCase):
    def test_a_request_field_gets_the_categories_of_path_and_key(self):
        with rt.context():
            v = rt.source(("flask.request.form", "email"), fresh("jane@example.com")); line = here()  # noqa
            self.assertEqual(tags(v), (("email", "user_text"),
                                       (O("request", "flask.request.form", "email", FILE, line),)))

    def test_items_of_a_request_body_are_tagged_by_their_keys(self):
        body = {"email": fresh("jane@example.com"), "salary": fresh("52000"),
                "profile": {"phone": fresh("+4915112345678")}, "count": 5}
        with rt.context():
            got = rt.source(("flask.request.get_json()", None), body); line = here()  # noqa: E702
            self.assertIs(got, body)
            src = "flask.request.get_json()"
            self.assertEqual(tags(body), (("user_text",), (O("request", src, None, FILE, line),)))
            self.assertEqual(tags(body["email"]), (("email", "user_text"),
                                                   (O("request", src, "email", FILE, line),)))
            self.assertEqual(tags(body["salary"]), (("financial", "user_text"),
                                                    (O("request", src, "salary", FILE, line),)))
            self.assertEqual(tags(body["profile"]), (("user_text",),
                                                     (O("request", src, "profile", FILE, line),)))
            self.assertEqual(tags(body["profile"]["phone"]), (("phone", "user_text"),
                                                              (O("request", src, "phone", FILE, line),)))
            self.assertIsNone(rt.tags_of(body["count"]))

    def test_the_same_origin_seen_twice_keeps_its_first_place(self):
        with rt.context():
            v = rt.source(("flask.request.form", "email"), fresh("jane@example.com")); line = here()  # noqa
            rt.source(("flask.request.form", "email"), v)
            body = rt.flow((v + "!"), v)
            rt.derive((v,), body)
            self.assertEqual(tags(body), (("email", "user_text"),
                                          (O("request", "flask.request.form", "email", FILE, line),)))

    def test_an_unknown_path_still_marks_the_request_origin(self):
        with rt.context():
            v = rt.source(("myframework.request.body", "note"), fresh("some text")); line = here()  # noqa
            self.assertEqual(tags(v), ((), (O("request", "myframework.request.body", "note", FILE, line),)))

    def test_a_malformed_site_is_counted_not_raised(self):
        v = fresh("jane@example.com")
        before = rt.stats()["failures"]
        self.assertIs(rt.source("not a site", v), v)
        self.assertEqual(rt.stats()["failures"], before + 1)
        self.failures_before += 1


class AbiTests(RuntimeCase):
    def test_abi_version(self):
        self.assertIsNone(rt.abi(1))
        self.assertEqual(rt.ABI, 1)
        with self.assertRaises(ImportError) as cm:
            rt.abi(2)
        self.assertEqual(str(cm.exception),
                         f"{FILE} was rewritten for injection ABI 2, but this sst_runtime provides ABI 1: "
                         "instrument it again with a matching sst-rewrite")
        with self.assertRaises(ImportError):
            rt.abi("1")

    def test_calls_outside_the_abi_forms_raise_type_error(self):
        for call in (lambda: rt.flow(), lambda: rt.params(), lambda: rt.carry(), lambda: rt.carry(1, 2),
                     lambda: rt.derive(), lambda: rt.derive([1]), lambda: rt.source(1),
                     lambda: rt.external("a", print), lambda: rt.store("a", print, (), 4)):
            with self.assertRaises(TypeError):
                call()


class ContextTests(RuntimeCase):
    def test_tagged_objects_stay_alive_until_the_context_closes(self):
        with rt.context() as ctx:
            obj = rt.tag_value(Obj(), "email")
            ref = weakref.ref(obj)
            addr = id(obj)
            del obj
            gc.collect()
            self.assertIsNotNone(ref())   # the table holds it: its address cannot be reused
            others = [Obj() for _ in range(20000)]
            self.assertNotIn(addr, {id(o) for o in others})
            self.assertTrue(all(rt.tags_of(o) is None for o in others))
            self.assertEqual(ctx.tagged, 1)
        gc.collect()
        self.assertIsNone(ref())
        self.assertEqual(ctx.tagged, 0)
        self.assertTrue(ctx.closed)

    def test_the_table_is_bounded_and_drops_the_oldest(self):
        values = [fresh(f"value number {i}") for i in range(5)]
        dropped = rt.stats()["dropped"]
        with rt.context(max_tags=3) as ctx:
            for v in values:
                rt.tag_value(v, "name")
            self.assertEqual(ctx.tagged, 3)
            self.assertEqual(ctx.dropped, 2)
            self.assertEqual([rt.tags_of(v) is not None for v in values], [False, False, True, True, True])
        self.assertEqual(rt.stats()["dropped"], dropped + 2)

    def test_a_closed_context_tags_nothing(self):
        ctx = rt.context(path="/x")
        with ctx:
            captured = contextvars.copy_context()   # a task that outlives its request
        value = fresh("jane@example.com")
        captured.run(rt.tag_value, value, "email")
        self.assertIsNone(captured.run(rt.tags_of, value))
        self.assertEqual(ctx.tagged, 0)
        with self.assertRaises(RuntimeError):
            ctx.__enter__()

    def test_contexts_are_per_thread(self):
        seen = {}
        value = fresh("jane@example.com")

        def worker():
            with rt.context(path="/t"):
                rt.tag_value(value, "email")
                seen["inside"] = rt.tags_of(value) is not None
            seen["after"] = rt.tags_of(value)

        with rt.context():
            t = threading.Thread(target=worker)
            t.start()
            t.join()
            self.assertIsNone(rt.tags_of(value))
        self.assertEqual(seen, {"inside": True, "after": None})

    def test_asyncio_tasks_keep_their_own_context_and_events(self):
        ext = rt.external("requests.post", lambda url, data=None: None, ())

        async def request(path, value):
            with rt.context(method="POST", path=path, request_id=path[1:]):
                v = rt.tag_value(fresh(value), "email")
                await asyncio.sleep(0)
                mine = rt.tags_of(v) is not None
                await asyncio.sleep(0)
                rt.external("requests.post", lambda url, data=None: None, ())("https://a.example/x", data=v)
                return mine

        async def main():
            return await asyncio.gather(request("/one", "one@example.com"), request("/two", "two@example.com"))

        del ext
        self.assertEqual(asyncio.run(main()), [True, True])
        got = sorted((e["request"]["path"], e["values"][0]["preview"]) for e in rt.events())
        self.assertEqual(got, [("/one", "o***@e***.com"), ("/two", "t***@e***.com")])

    def test_current_and_default_context(self):
        self.assertIs(rt.current_context(), rt.default_context)
        self.assertIsNone(rt.default_context.request)
        with rt.context(method="GET", path="/p", endpoint="ep", request_id="r1") as ctx:
            self.assertIs(rt.current_context(), ctx)
            self.assertEqual(ctx.request, {"id": "r1", "method": "GET", "path": "/p", "endpoint": "ep"})
        self.assertIs(rt.current_context(), rt.default_context)


if __name__ == "__main__":
    unittest.main()
