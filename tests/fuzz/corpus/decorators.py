@app.route("/x", methods=["POST"])
@login_required
def view(user_id):
    return str(user_id)
