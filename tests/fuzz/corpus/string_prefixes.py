def f(a):
    x = rb'\d' + b'x'
    y = u'u' + r'\n' + '''multi
line'''
    return x, y, a
