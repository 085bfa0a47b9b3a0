def f(items, n):
    if (m := len(items)) > n:
        return [y for x in items if (y := x * 2) > m]
    total = sum(x for x in items)
    return {k: v for k, v in zip(items, items)}
