import requests


def ping(url, email):
    requests.post(url, data=email)
