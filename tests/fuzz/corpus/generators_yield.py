def gen(a):
    x = yield a
    y = yield from range(x)
    z = (yield) + 1
    return x, y, z
