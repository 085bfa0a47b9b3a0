def f(email):
    x = g(email)
    return x
