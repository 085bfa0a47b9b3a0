def f(cmd):
    match- cmd.split():
        case ["go", direction] if direction:
            return direction
        case Point(x=0, y=0) | None:
            return 0
