import requests

def f(url, payload):
    response = requests.post(
        url,  # where
        json=payload,
        timeout=5,
    )
    print(x for x in payload)
    return response
