from flask import request


def signup():
    email = request.form["email"].strip().lower()
    name = request.form.get("name", "").strip()
    tags = request.args.get("tags", "").split(",")
    nick = request.form["nick"].replace(" ", request.args["sep"])
    first = request.form["full_name"].partition(" ")[0]
    admin = request.form["role"].startswith("admin")
    return email, name, tags, nick, first, admin
