def f(name, n):
    s = f"hello {name!r:>{n}} {'q'}"
    t = f"{name}" f"{n}"
    return s + t
