"""The CPU-bound workload of tools/bench/runtime-overhead: pure-Python code of
the standard library used as "application code" (difflib, textwrap, email
parsing, json's pure-Python encoder and decoder), run from whatever copy of
those modules is first on sys.path: the originals, or copies instrumented by
sst-rewrite.

    workload_stdlib.py REPEATS  ->  prints {"best": CPU seconds per pass, "digest": hex}

The digest of the results lets the bench check that every configuration
computed the same thing.
"""
import hashlib
import json
import random
import sys
import time


def use_pure_python_json():
    import json.decoder
    import json.encoder
    import json.scanner
    json.encoder.c_make_encoder = None
    json.encoder.encode_basestring_ascii = json.encoder.py_encode_basestring_ascii
    json.encoder.encode_basestring = json.encoder.py_encode_basestring
    json.decoder.scanstring = json.decoder.py_scanstring
    json.scanner.make_scanner = json.scanner.py_make_scanner


def make_data(rng):
    words = ("income salary expense report budget monthly rent groceries travel savings plan "
             "account transfer invoice customer address email phone note total average").split()
    people = [("Jane Doe", "jane.doe@example.com"), ("Raj Patel", "raj@example.co.uk"),
              ("Ana Lima", "ana.lima@example.org"), ("Tom Roe", "tom@example.net")]

    def sentence(n):
        return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."

    paragraphs = [" ".join(sentence(rng.randint(6, 16)) for _ in range(8)) for _ in range(6)]
    a_lines = [sentence(rng.randint(4, 10)) for _ in range(160)]
    b_lines = list(a_lines)
    for i in range(0, len(b_lines), 7):
        b_lines[i] = sentence(rng.randint(4, 10))
    del b_lines[10:14]
    b_lines[40:40] = [sentence(5) for _ in range(3)]
    messages = []
    for i in range(24):
        name, addr = people[i % len(people)]
        body = "\n".join(paragraphs[i % len(paragraphs)][k:k + 70] for k in range(0, 420, 70))
        messages.append(
            f"From: {name} <{addr}>\nTo: Budget Team <team@example.com>\nSubject: {sentence(5)}\n"
            f"Date: Mon, 2{i % 9} Nov 2026 10:0{i % 10}:00 +0000\nMessage-ID: <m{i}@example.com>\n"
            f"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{body}\n")
    records = [{"user": {"name": p[0], "email": p[1]}, "month": m, "income": 4000 + 37 * m,
                "expenses": [{"what": rng.choice(words), "amount": round(rng.random() * 300, 2)}
                             for _ in range(6)], "note": sentence(8)}
               for m in range(24) for p in people[:2]]
    return paragraphs, a_lines, b_lines, messages, records


def work(data):
    import difflib
    import email
    import email.policy
    import textwrap
    from json import JSONDecoder, JSONEncoder

    paragraphs, a_lines, b_lines, messages, records = data
    out = []
    out.append("\n".join(difflib.unified_diff(a_lines, b_lines, "a", "b", lineterm="")))
    out.append(repr(round(difflib.SequenceMatcher(None, " ".join(a_lines[:40]), " ".join(b_lines[:40])).ratio(), 6)))
    out.append("\n".join(difflib.get_close_matches("monthly budget", a_lines, n=5, cutoff=0.1)))
    for p in paragraphs:
        out.append(textwrap.fill(p, width=60))
        out.append(textwrap.indent(textwrap.dedent("    " + p[:200]), "> "))
        out.append(textwrap.shorten(p, width=80))
    for raw in messages:
        msg = email.message_from_string(raw, policy=email.policy.default)
        sender = msg["From"].addresses[0]
        out.append(f"{sender.display_name}|{sender.username}|{msg['Subject']}|{msg.get_content()[:40]}")
    text = JSONEncoder(indent=2, sort_keys=True).encode(records)
    back = JSONDecoder().decode(text)
    out.append(text)
    out.append(repr(len(back)))
    return hashlib.sha256("\x00".join(out).encode()).hexdigest()


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    use_pure_python_json()
    data = make_data(random.Random(42))
    digest = work(data)          # warm-up (imports, caches)
    best = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        if work(data) != digest:
            raise SystemExit("the workload is not deterministic")
        best = min(best, time.process_time() - t)
    print(json.dumps({"best": best, "digest": digest}))


if __name__ == "__main__":
    main()
