"""Starting the local stack in dependency order, and the table of what runs where."""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack, suppress
from pathlib import Path

import google.cloud.storage as gcs  # a from-import defeats mypy beside google.cloud.bigquery
from google.api_core.exceptions import AlreadyExists
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

from commands import localproc
from commands.duckdb_warehouse import DuckDBWarehouse
from commands.stack import coingecko
from commands.stack.config import NO_FAULTS, REPLAY, StackConfig
from commands.stack.processes import READY_TIMEOUT_SECONDS, Children, coinpulse_command, venv_tool
from functions.loader.store import GcsStore

FUNCTIONS_FRAMEWORK = "functions-framework"
LOADER_SOURCE = Path(__file__).with_name("loader_function.py")  # served, not imported here
OWN_LOG = "demo.log"  # coinpulse demo's own log: the CoinGecko lane runs in its process
Row = tuple[str, str, str]  # what, where, log


def check_prerequisites() -> None:
    """Java, the gcloud Pub/Sub emulator, the GCS emulator, functions-framework.

    Raises localproc.MissingPrerequisite saying what to install.
    """
    localproc.pubsub_emulator_binary()
    localproc.gcs_emulator_binary()
    if not Path(venv_tool(FUNCTIONS_FRAMEWORK)).is_file():
        raise localproc.MissingPrerequisite(
            "functions-framework is not installed beside this Python: run make install"
        )


def storage_client() -> gcs.Client:
    """A client of the GCS emulator (STORAGE_EMULATOR_HOST), without credentials."""
    return gcs.Client.create_anonymous_client()


def create_topics_and_subscriptions(settings: StackConfig) -> None:
    """Before anyone publishes: the relay's topic and the pipeline's durable subscription,
    the lake's notification topic and the loader trigger's subscription."""
    publisher = PublisherClient()
    with SubscriberClient() as subscriber:
        for topic, subscription in (
            (settings.topic, settings.subscription),
            (settings.notifications, settings.trigger_subscription),
        ):
            with suppress(AlreadyExists):
                publisher.create_topic(name=topic)
            with suppress(AlreadyExists):
                subscriber.create_subscription(name=subscription, topic=topic)


def relay_checkpoint(settings: StackConfig) -> Path:
    """The relay's checkpoint file: its restarts resume there, the drain reads it."""
    return settings.home / "relay" / "checkpoint.json"


def _exchange_urls(settings: StackConfig) -> list[str]:
    if settings.exchange != REPLAY:
        return []
    port = settings.ports["exchange"]
    return ["--ws-url", f"ws://127.0.0.1:{port}", "--rest-url", f"http://127.0.0.1:{port}"]


def start(settings: StackConfig, children: Children, resources: ExitStack) -> list[Row]:
    """Start everything; returns the rows of the table. Raises RuntimeError, TimeoutError."""
    home, logs, ports = settings.home, settings.logs, settings.ports
    logs.mkdir(parents=True, exist_ok=True)
    for emulator_log in ("pubsub.log", "gcs.log"):
        (logs / emulator_log).write_bytes(b"")  # fresh logs per run, like the children's
    pubsub = resources.enter_context(
        localproc.pubsub_emulator(ports["pubsub"], log_path=logs / "pubsub.log")
    )
    os.environ.update({"PUBSUB_EMULATOR_HOST": pubsub, "GOOGLE_CLOUD_PROJECT": settings.project})
    create_topics_and_subscriptions(settings)
    storage = resources.enter_context(
        localproc.gcs_emulator(
            ports["gcs"],
            settings.bucket,
            home / "gcs",
            logs / "gcs.log",
            notifications=settings.notifications,
        )
    )
    emulators = {
        "PUBSUB_EMULATOR_HOST": pubsub,
        "STORAGE_EMULATOR_HOST": storage,
        "GOOGLE_CLOUD_PROJECT": settings.project,
    }
    os.environ.update(emulators)
    DuckDBWarehouse(settings.warehouse, GcsStore(storage_client())).initialize()
    env = {
        **emulators,
        "COINPULSE_HOME": str(home),
    }
    symbols = ",".join(settings.symbols)
    lake = f"gs://{settings.bucket}"
    loader_url = settings.url("loader", "/")
    loader_command = [venv_tool(FUNCTIONS_FRAMEWORK), "--target", "on_finalize"]
    loader_command += ["--source", str(LOADER_SOURCE), "--host", "127.0.0.1"]
    loader = children.start(
        "loader",
        [*loader_command, "--port", str(ports["loader"])],
        f"{loader_url} functions-framework on_finalize -> {settings.warehouse}",
        env,
    )
    trigger = ["--subscription", settings.trigger_subscription, "--target", loader_url]
    children.start(
        "eventarc",
        [sys.executable, "-m", "commands.stack.eventarc", *trigger],
        f"{settings.notifications} -> finalize CloudEvents -> the loader",
        env,
    )
    exchange = None
    if settings.exchange == REPLAY:
        options = ["--truth-file", str(settings.truth_file)] if settings.truth_file else []
        if settings.exchange_faults != NO_FAULTS:
            options += ["--faults", settings.exchange_faults]
        exchange = children.start(
            "exchange",
            coinpulse_command(
                "exchange", "--port", str(ports["exchange"]), "--symbols", symbols, *options
            ),
            f"ws://127.0.0.1:{ports['exchange']} replay market of {symbols}, "
            f"faults: {settings.exchange_faults}",
            env,
        )
    children.start(
        "pipeline",
        coinpulse_command(
            "pipeline",
            "--subscription",
            settings.subscription,
            "--topic",
            settings.topic,
            "--output",
            lake,
        ),
        f"Beam BundleBasedDirectRunner: {settings.subscription} -> {lake}/",
        env,
    )
    localproc.wait_for_port(ports["loader"], loader.process, READY_TIMEOUT_SECONDS)
    if exchange:
        localproc.wait_until(
            settings.url("exchange", "/api/v3/ping"), exchange.process, READY_TIMEOUT_SECONDS
        )
    # The relay resumes from its checkpoint after a restart; a new run of the replay
    # exchange is a new market, so each run starts without one.
    checkpoint_file = relay_checkpoint(settings)
    if exchange:
        checkpoint_file.unlink(missing_ok=True)
    checkpoint = ["--checkpoint", str(checkpoint_file)]
    relay_flags = ["--port", str(ports["relay"]), *_exchange_urls(settings), *checkpoint]
    relay = children.start(
        "relay",
        coinpulse_command(
            "relay",
            "--sink",
            f"pubsub:{settings.topic}",
            # Dead letters ride the trades topic; the pipeline files them in dead_letters/.
            "--dead-letter-sink",
            f"pubsub:{settings.topic}",
            "--symbols",
            symbols,
            *relay_flags,
        ),
        f"{settings.url('relay', '/stats')} -> {settings.topic}",
        env,
    )
    localproc.wait_until(settings.url("relay", "/healthz"), relay.process, READY_TIMEOUT_SECONDS)
    dashboard = children.start(
        "dashboard",
        coinpulse_command(
            "dashboard", "--warehouse", str(settings.warehouse), "--port", str(ports["dashboard"])
        ),
        f"{settings.url('dashboard', '/')} live candles and panels over the marts",
        env,
    )
    localproc.wait_until(
        settings.url("dashboard", "/api/config"), dashboard.process, READY_TIMEOUT_SECONDS
    )
    described = resources.enter_context(coingecko.running(settings.bucket, settings.symbols))
    return [
        ("Pub/Sub emulator", f"{pubsub} {settings.topic}, {settings.subscription}", "pubsub.log"),
        ("GCS emulator", f"{storage} bucket {settings.bucket}, data in {home / 'gcs'}", "gcs.log"),
        *[(child.name, child.where, child.log.name) for child in children.started],
        ("CoinGecko lane", described, OWN_LOG),
    ]


def table(settings: StackConfig, rows: list[Row]) -> list[str]:
    """What runs where, and how to look at the data."""
    width = max(len(what) for what, _, _ in rows) + 2
    sql = (
        "SELECT symbol, window_start, close_price, trade_count, pane_timing "
        "FROM crypto_raw.stream_prices ORDER BY window_start DESC, pane_index DESC LIMIT 10"
    )
    stopping = (
        f"Stops by itself after {settings.duration:g} s."
        if settings.duration
        else "Stop it with Ctrl-C."
    )
    return [
        f"CoinPulse local stack: state in {settings.home}, logs in {settings.logs}",
        "",
        *[f"  {what:<{width}}{where}  [{log}]" for what, where, log in rows],
        "",
        f"Dashboard: {settings.url('dashboard', '/')}",
        "",
        "Look at the data (windows reach the warehouse within about 2 minutes of their end):",
        f'  {sys.executable} -m commands.warehouse_db --path {settings.warehouse} "{sql}"',
        f"  curl -s {settings.url('relay', '/stats')}",
        f"  curl -s {settings.url('gcs', f'/storage/v1/b/{settings.bucket}/o')}",
        stopping,
    ]
