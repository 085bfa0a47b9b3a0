import requests

class Client:
    base = "http://example.invalid"
    data = requests.get(base)
    x = base + "/p"
