def a(c):
    if c:
        pass

def b(c):
    while c:
        c -= 1

def d(it):
    for x in it:
        print(x)

def e(m):
    with m as v:
        pass

def g(s):
    match s:
        case [x, *rest]:
            return x
        case {"k": v, **kw}:
            return v
        case _:
            return None
