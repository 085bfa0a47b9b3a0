"""The audit log file: created 0600, buffered and flushed at request end,
every event exactly once with 8 threads, two processes appending to one file
without a lost or torn line, a forked child that starts clean, and the
environment variables."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import unittest

from rtsupport import PYTHON_DIR, RuntimeCase, fresh, rt

THREADS = 8
PER_THREAD = 10000


def noop(*args, **kwargs):
    return None


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    return data


class LogCase(RuntimeCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "audit.jsonl")

    def tearDown(self):
        rt.configure(audit_log=None)
        self.dir.cleanup()
        super().tearDown()


class FileTests(LogCase):
    def test_created_0600_written_at_request_end(self):
        rt.configure(audit_log=self.path, memory=False)
        with rt.context(path="/a"):
            rt.external("requests.post", noop, ())(fresh("jane@example.com"))
            self.assertFalse(os.path.exists(self.path))    # buffered
        data = read_lines(self.path)
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)
        lines = data.split(b"\n")
        self.assertEqual(lines[-1], b"")
        self.assertEqual(len(lines), 2)
        ev = json.loads(lines[0])
        self.assertEqual((ev["schema"], ev["sink"], ev["request"]["path"]), (1, "requests.post", "/a"))

    def test_explicit_flush_and_an_existing_file_keeps_its_mode(self):
        with open(self.path, "w") as f:
            f.write("")
        os.chmod(self.path, 0o640)
        rt.configure(audit_log=self.path)
        with rt.context(method="GET", path="/b", endpoint="b", request_id="r2"):
            rt.external("requests.post", noop, ())(fresh("jane@example.com"))
            self.assertEqual(os.path.getsize(self.path), 0)  # buffered in a request
            rt.flush()
            self.assertEqual(read_lines(self.path).count(b"\n"), 1)
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o640)

    def test_off_is_no_file_in_configure_as_in_the_environment(self):
        here = os.getcwd()
        os.chdir(os.path.dirname(self.path))
        try:
            rt.configure(audit_log="off", memory=True)
            rt.external("requests.post", noop, ())(fresh("jane@example.com"))
            self.assertFalse(os.path.exists("off"))
            self.assertEqual(len(rt.events()), 1)
        finally:
            os.chdir(here)

    def test_an_event_outside_a_request_is_written_at_once(self):
        rt.configure(audit_log=self.path)
        rt.external("requests.post", noop, ())(fresh("jane@example.com"))
        lines = read_lines(self.path).split(b"\n")
        self.assertEqual(len(lines), 2)
        self.assertEqual(json.loads(lines[0])["request"], None)

    def test_every_event_exactly_once_with_eight_threads(self):
        rt.configure(audit_log=self.path, memory=False, values=True)
        errors = []

        def worker(t):
            try:
                post = noop
                for batch in range(PER_THREAD // 1000):
                    with rt.context(path=f"/t{t}", request_id=f"{t}-{batch}"):
                        for i in range(batch * 1000, (batch + 1) * 1000):
                            v = rt.tag_value(fresh(f"t{t}n{i}@example.com"), "email")
                            body = rt.flow((v + "|"), v)
                            rt.external("requests.post", post, (body,))("https://x.example/", data=body)
            except BaseException as exc:   # reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        rt.flush()
        self.assertEqual(errors, [])
        seen = {}
        for line in read_lines(self.path).splitlines():
            ev = json.loads(line)
            self.assertEqual((ev["categories"], ev["values"][0]["where"]), (["email"], "kwargs['data']"))
            key = ev["values"][0]["value"][:-1]
            seen[key] = seen.get(key, 0) + 1
            self.assertEqual(ev["request"]["path"], "/" + key.split("n")[0])
        expected = {f"t{t}n{i}@example.com" for t in range(THREADS) for i in range(PER_THREAD)}
        self.assertEqual(set(seen), expected)
        self.assertEqual(set(seen.values()), {1})
        self.assertEqual(rt.stats()["lost"], 0)

    def test_two_processes_append_without_a_lost_or_torn_line(self):
        script = textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {PYTHON_DIR!r})
            import sst_runtime as rt
            rt.configure(audit_log={self.path!r}, values=True)
            who = sys.argv[1]
            for i in range(20000):
                v = rt.tag_value((f"{{who}}n{{i}}@example.com" + "!")[:-1], "email")
                rt.external("requests.post", lambda *a, **k: None, ())("https://x.example/", v)
                if i % (7 if who == "a" else 13) == 0:
                    rt.flush()
        """)
        procs = [subprocess.Popen([sys.executable, "-c", script, who]) for who in ("a", "b")]
        self.assertEqual([p.wait() for p in procs], [0, 0])
        data = read_lines(self.path)
        self.assertTrue(data.endswith(b"\n"))
        values = [json.loads(line)["values"][0]["value"] for line in data.splitlines()]
        self.assertEqual(len(values), 40000)
        self.assertEqual(set(values), {f"{w}n{i}@example.com" for w in "ab" for i in range(20000)})

    def test_a_forked_child_starts_clean(self):
        rt.configure(audit_log=self.path, values=True)
        for i in range(3):
            rt.external("requests.post", noop, ())(fresh(f"parent{i}@example.com"))
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:   # the child: reports what it inherited, records one event
            try:
                report = {"memory": len(rt.events()), "events": rt.stats()["events"]}
                rt.external("requests.post", noop, ())(fresh("child@example.com"))
                rt.flush()
                os.write(w, json.dumps(report).encode())
            finally:
                os._exit(0)
        os.close(w)
        with os.fdopen(r) as f:
            report = json.loads(f.read())
        os.waitpid(pid, 0)
        rt.flush()
        got = sorted((json.loads(line)["values"][0]["value"], json.loads(line)["pid"])
                     for line in read_lines(self.path).splitlines())
        self.assertEqual(report, {"memory": 0, "events": 0})
        me = os.getpid()
        self.assertEqual(got, [("child@example.com", pid), ("parent0@example.com", me),
                               ("parent1@example.com", me), ("parent2@example.com", me)])
        self.assertEqual(len(rt.events()), 3)


class EnvironmentTests(LogCase):
    def run_script(self, body, **env):
        script = f"import sys\nsys.path.insert(0, {PYTHON_DIR!r})\n" + textwrap.dedent(body)
        full = dict(os.environ, **env)
        return subprocess.run([sys.executable, "-c", script], env=full, capture_output=True, text=True)

    def test_audit_log_and_values_from_the_environment(self):
        out = self.run_script("""
            import sst_runtime as rt
            rt.external("requests.post", print, ())(("jane@example.com!")[:-1])
        """, SST_AUDIT_LOG=self.path, SST_AUDIT_VALUES="1")
        self.assertEqual(out.returncode, 0, out.stderr)
        ev = json.loads(read_lines(self.path))
        self.assertEqual(ev["values"][0]["value"], "jane@example.com")

    def test_no_destination_is_said_once(self):
        out = self.run_script("""
            import sst_runtime as rt
            for i in range(3):
                rt.external("requests.post", len, ())("jane@example.com")
            print(rt.stats()["events"])
        """, SST_AUDIT_LOG="off")
        self.assertEqual(out.stdout, "3\n")
        self.assertEqual(out.stderr.count("no audit log is configured"), 1)

    def test_an_unwritable_log_is_reported_once_and_the_program_runs(self):
        bad = os.path.join(self.dir.name, "missing", "audit.jsonl")
        out = self.run_script("""
            import sst_runtime as rt
            for i in range(3):
                rt.external("requests.post", len, ())("jane@example.com")
                rt.flush()
            print("done", rt.stats()["lost"])
        """, SST_AUDIT_LOG=bad)
        self.assertEqual(out.returncode, 0)
        self.assertEqual(out.stdout, "done 3\n")
        self.assertEqual(out.stderr.count("cannot open the audit log"), 1)

    def test_interpreter_shutdown_with_threads_and_finalizers_recording(self):
        out = self.run_script("""
            import threading, time
            import sst_runtime as rt

            def busy():
                while True:
                    v = rt.tag_value(("jane@example.com" + "!")[:-1], "email")
                    rt.external("requests.post", len, (v,))(v)

            class Late:
                def __del__(self):
                    rt.store("logging.info", len, ())(("late@example.com" + "!")[:-1])

            keep = Late()
            for _ in range(4):
                threading.Thread(target=busy, daemon=True).start()
            time.sleep(0.2)
            print("exiting")
        """, SST_AUDIT_LOG=self.path)
        self.assertEqual((out.returncode, out.stdout, out.stderr), (0, "exiting\n", ""))
        lines = read_lines(self.path).splitlines()
        self.assertGreater(len(lines), 10)
        self.assertTrue(all(json.loads(line)["schema"] == 1 for line in lines))

    def test_the_fallback_says_so_once_when_the_extension_is_missing(self):
        out = self.run_script("""
            import sys
            sys.modules["sst_runtime._sst"] = None   # as if it could not be imported
            import sst_runtime as rt
            print(rt.IMPLEMENTATION)
        """, SST_RUNTIME="")
        self.assertEqual(out.stdout, "python\n")
        self.assertEqual(out.stderr.count("using the pure-Python fallback"), 1)


if __name__ == "__main__":
    unittest.main()
