def f(email):
    """Doc."""
    return email
