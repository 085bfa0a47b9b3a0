def f(a, b, o, k):
    x = a + b
    y: int = a * 2
    o.attr = a
    o[k] = b
    first, *rest = a.split()
    (p, q), r = b
    x += b
    o.n += 1
    m = n = a or b
    return x if a else y
