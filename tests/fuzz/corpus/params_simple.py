def f(email, phone=None, *args, key, **kw):
    x = g(email)
    return x
