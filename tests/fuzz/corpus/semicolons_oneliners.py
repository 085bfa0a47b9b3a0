def f(a): return a
class K: pass
if a: b = 1; c = a
while 0: pass
