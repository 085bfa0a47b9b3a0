import requests

async def fetch(url, token):
    async with session.get(url) as r:
        data = await r.json()
    async for item in data:
        yield item
    return
