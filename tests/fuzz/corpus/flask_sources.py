from flask import Flask, request

app = Flask(__name__)

@app.post("/pay")
def pay():
    amount = request.form["amount"]
    q = request.args.get("q")
    data = request.get_json()
    return {"amount": amount, "q": q, "data": data}
