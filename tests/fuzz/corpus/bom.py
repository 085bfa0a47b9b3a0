"""Doc."""
def f(name):
    return name.upper()
