"""The last good answer: served, marked stale, while the warehouse cannot answer."""

from __future__ import annotations

import pytest

from dashboards.local.answers import Answers, Row, Unavailable
from dashboards.local.queries import Query

pytestmark = pytest.mark.unit


class Warehouse:
    """A reader whose answers the test sets, or that is busy."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Row]] = {}
        self.busy = False
        self.asked: list[Query] = []

    def __call__(self, query: Query) -> list[Row]:
        self.asked.append(query)
        if self.busy:
            raise Unavailable("locked by a load")
        return self.rows[query.sql]


def test_a_busy_warehouse_gets_the_last_good_answer_marked_stale() -> None:
    warehouse = Warehouse()
    answers = Answers(warehouse)
    query = Query("SELECT price", {"symbol": "BTCUSDT"})
    warehouse.rows["SELECT price"] = [{"price": 1.0}]
    assert answers.ask(query).stale is False
    warehouse.busy = True
    stale = answers.ask(query)
    assert (stale.rows, stale.stale) == ([{"price": 1.0}], True)
    warehouse.busy = False
    warehouse.rows["SELECT price"] = [{"price": 2.0}]
    fresh = answers.ask(query)
    assert (fresh.rows, fresh.stale) == ([{"price": 2.0}], False)


def test_a_query_never_answered_stays_unavailable() -> None:
    warehouse = Warehouse()
    warehouse.busy = True
    with pytest.raises(Unavailable, match="locked by a load"):
        Answers(warehouse).ask(Query("SELECT 1"))


def test_the_same_sql_with_other_parameters_is_another_question() -> None:
    warehouse = Warehouse()
    answers = Answers(warehouse)
    warehouse.rows["SELECT c"] = [{"c": 1}]
    answers.ask(Query("SELECT c", {"symbol": "BTCUSDT"}))
    warehouse.busy = True
    with pytest.raises(Unavailable):
        answers.ask(Query("SELECT c", {"symbol": "ETHUSDT"}))


def test_only_the_most_recent_answers_are_kept() -> None:
    warehouse = Warehouse()
    answers = Answers(warehouse, kept=2)
    for sql in ("a", "b", "c"):
        warehouse.rows[sql] = [{"sql": sql}]
        answers.ask(Query(sql))
    warehouse.busy = True
    assert answers.ask(Query("c")).rows == [{"sql": "c"}]
    assert answers.ask(Query("b")).rows == [{"sql": "b"}]
    with pytest.raises(Unavailable):
        answers.ask(Query("a"))
