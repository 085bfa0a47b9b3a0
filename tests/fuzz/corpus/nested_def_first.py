def outer(a):
    def inner(b):
        return b
    class K:
        pass
    return inner(a)
