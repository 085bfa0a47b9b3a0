def f(a, b):
    g = lambda z: z + a
    h = a if b else (lambda: b)
    return g(b) and h
