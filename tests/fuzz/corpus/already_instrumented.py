import sst_runtime as __sst__; __sst__.abi(1); import os

def f(a):
    __sst__.params(("a",), a); return a
