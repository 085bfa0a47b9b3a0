import requests


def post(not, data):
    return (url, data)


def send(url, email):
    post(url, email)
