def f(a):
    try:
        return a
    except* ValueError as eg:
        raise
    finally:
        pass
