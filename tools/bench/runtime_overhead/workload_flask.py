"""The request loop of tools/bench/runtime-overhead: REQUESTS requests through
Flask's test client into flask_app (whichever copy is first on sys.path),
cycling sign-up, income, insight and health. With INSTRUMENTED=1 every
request runs in an sst_runtime request context, opened and closed around
the WSGI application as a WSGI middleware does.

    workload_flask.py REQUESTS REPEATS  ->  {"best": CPU seconds per loop, "digest": hex}
"""
import hashlib
import json
import os
import sys
import time


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    import flask_app
    app = flask_app.app
    if os.environ.get("INSTRUMENTED") == "1":
        import sst_runtime

        inner = app.wsgi_app

        def wsgi_app(environ, start_response):
            with sst_runtime.context(method=environ["REQUEST_METHOD"], path=environ["PATH_INFO"]):
                return inner(environ, start_response)

        app.wsgi_app = wsgi_app

    client = app.test_client()

    def loop(base):
        h = hashlib.sha256()
        for i in range(n):
            k = base + i
            step = i % 4
            if step == 0:
                r = client.post("/signup", data={"email": f"user{k}@example.com", "full_name": f"User {k}"})
            elif step == 1:
                r = client.post("/income", json={"email": f"user{k - 1}@example.com", "amount": str(1000 + i),
                                                 "note": f"salary {i}"})
            elif step == 2:
                r = client.get(f"/insight?email=user{k - 2}@example.com")
            else:
                r = client.get("/health")
            h.update(r.data)
        return h.hexdigest()

    digest = loop(0)
    best = float("inf")
    for rep in range(repeats):
        t = time.process_time()
        loop((rep + 1) * n)
        best = min(best, time.process_time() - t)
    print(json.dumps({"best": best, "digest": digest}))


if __name__ == "__main__":
    main()
