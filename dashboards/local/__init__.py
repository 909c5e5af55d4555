"""The local dashboard: an aiohttp server of one static page and JSON panels (server.py)."""
