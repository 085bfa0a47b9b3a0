counter = 0

def inc(step):
    global counter
    counter += step
    def inner(k):
        nonlocal step
        step = k
    return inner
