"""/healthz and /stats on $PORT, as Cloud Run's startup and liveness probes expect.

/healthz answers 200 while a connection is open or a frame arrived recently, and
503 otherwise, so a liveness probe restarts a relay wedged without data; it also
answers 503 (``{"status": "failed", "task": ...}``) once a background task could not
continue (relay.supervision), while the relay shuts down.
/stats answers the counters as JSON.
"""

from __future__ import annotations

import time

from aiohttp import web

from relay.service import Relay

STALE_AFTER = 90.0  # s without frames and without an open connection -> unhealthy


def app(relay: Relay) -> web.Application:
    async def healthz(_: web.Request) -> web.Response:
        if relay.failed is not None:
            return web.json_response({"status": "failed", "task": relay.failed}, status=503)
        stats = relay.stats
        recent = time.time() - stats.last_frame_at < STALE_AFTER
        healthy = (
            stats.open_connections > 0 or recent or time.time() - stats.started_at < STALE_AFTER
        )
        return web.json_response(
            {"status": "ok" if healthy else "stale"}, status=200 if healthy else 503
        )

    async def stats(_: web.Request) -> web.Response:
        extra = {
            "pairs": {
                pair: {
                    "last_trade_id": tracker.last,
                    "missing_trades": tracker.missing,
                    "open_gaps": len(tracker.gaps),
                }
                for pair, tracker in relay.trackers.items()
            },
            "sink": relay.sink.name,
            "checkpoint": relay.checkpoint.location,
        }
        return web.json_response(relay.stats.snapshot(extra))

    application = web.Application()
    application.add_routes([web.get("/healthz", healthz), web.get("/stats", stats)])
    return application


async def serve(relay: Relay, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start the HTTP server; returns the runner and the bound port (port 0 = any free port)."""
    runner = web.AppRunner(app(relay), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    return runner, int(bound)
