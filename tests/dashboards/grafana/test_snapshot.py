"""The generated JSON equals the committed snapshot, so any change shows as a diff.

After an intended change, ``make dashboards-snapshot`` rewrites the snapshot; commit it
with the change that caused it.
"""

from pathlib import Path

import pytest

from commands import main
from dashboards.grafana import board

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.unit
def test_every_dashboard_matches_its_snapshot() -> None:
    built = {f"{d['uid']}.json": board.render(d) for d in board.dashboards()}
    committed = {path.name: path.read_text() for path in SNAPSHOTS.glob("*.json")}
    assert built.keys() == committed.keys(), "run make dashboards-snapshot"
    for name, text in built.items():
        assert text == committed[name], f"{name} changed: run make dashboards-snapshot"


@pytest.mark.unit
def test_grafana_build_writes_each_dashboard_as_its_uid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(["grafana", "build", "--out", str(tmp_path / "build")]) == 0
    written = sorted((tmp_path / "build").glob("*.json"))
    assert [p.name for p in written] == ["coinpulse-markets.json"]
    assert written[0].read_text() == (SNAPSHOTS / "coinpulse-markets.json").read_text()
    assert capsys.readouterr().out.strip() == str(written[0])
