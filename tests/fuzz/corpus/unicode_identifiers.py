def f(café, naïve):
    résultat = café + naïve
    return résultat
