"""``coinpulse grafana``: build the Grafana Cloud dashboards, and publish them.

``build`` writes every dashboard's JSON as ``OUT/<uid>.json`` (``make dashboards``:
dashboards/build/). ``publish`` builds them afresh and pushes them to a Grafana stack
(dashboards.grafana.publish): the token comes from ``GRAFANA_TOKEN`` only, never from
a flag (flags show in process lists and shell history), and is never printed.

Exit status: 0 done, 1 Grafana refused or could not be reached, 2 usage (no URL, no
token).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dashboards.grafana import board, publish

TOKEN_ENV = "GRAFANA_TOKEN"
URL_ENV = "GRAFANA_URL"
DEFAULT_FOLDER = "CoinPulse"
DEFAULT_OUT = Path("dashboards/build")

EXAMPLES = f"""\
examples:
  coinpulse grafana build
  {TOKEN_ENV}=glsa_... coinpulse grafana publish --url https://mystack.grafana.net
  {URL_ENV}=https://mystack.grafana.net coinpulse grafana publish --folder Markets
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EXAMPLES
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    build = actions.add_parser(
        "build", help="write the dashboards' JSON", description="Write the dashboards' JSON."
    )
    build.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar="DIR", help="default: %(default)s"
    )
    build.set_defaults(handler=run_build)
    push = actions.add_parser(
        "publish",
        help="push the dashboards to Grafana (token from $GRAFANA_TOKEN)",
        description=f"Push the dashboards to a Grafana stack with the service account token "
        f"in ${TOKEN_ENV}; the same uids are overwritten, so reruns change nothing else.",
    )
    push.add_argument(
        "--url", default=os.environ.get(URL_ENV), help=f"the stack's base URL (default: ${URL_ENV})"
    )
    push.add_argument(
        "--folder", default=DEFAULT_FOLDER, metavar="NAME", help="default: %(default)s"
    )
    push.set_defaults(handler=run_publish)


def run_build(args: argparse.Namespace) -> int:
    for path in board.write(args.out):
        print(path)
    return 0


def run_publish(args: argparse.Namespace) -> int:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not args.url:
        print(
            f"coinpulse grafana publish: no Grafana URL: pass --url or set {URL_ENV}",
            file=sys.stderr,
        )
        return 2
    if not token:
        print(
            f"coinpulse grafana publish: set {TOKEN_ENV} to a service account token",
            file=sys.stderr,
        )
        return 2
    try:
        published = publish.publish(args.url, token, args.folder, board.dashboards())
    except publish.PublishError as error:
        print(f"coinpulse grafana publish: {error}", file=sys.stderr)
        return 1
    for dashboard in published:
        print(f"{dashboard.uid} version {dashboard.version}: {dashboard.url}")
    return 0
