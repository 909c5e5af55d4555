"""Warehouse table schemas: one JSON file per table, the single source of truth.

Each ``<table>.json`` beside this module is a BigQuery JSON schema (a list of
``{"name","type","mode","description"[,"precision","scale"]}``). Terraform reads the
same files with ``file()``, the loader sends them with every load job, and the
local DuckDB warehouse and the Parquet writers derive their types from them here.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import pyarrow as pa

Field = dict[str, Any]


def tables() -> list[str]:
    """Names of every table that has a schema file."""
    files = resources.files(__package__).iterdir()
    return sorted(f.name.removesuffix(".json") for f in files if f.name.endswith(".json"))


@cache
def fields(table: str) -> tuple[Field, ...]:
    """The BigQuery schema fields of a table. Raises KeyError for an unknown table."""
    path = resources.files(__package__) / f"{table}.json"
    if not path.is_file():
        raise KeyError(f"no schema for table {table!r}; known: {', '.join(tables())}")
    return tuple(json.loads(path.read_text()))


def _decimal(field: Field) -> tuple[int, int]:
    default = (38, 9) if field["type"] == "NUMERIC" else (76, 38)
    return int(field.get("precision", default[0])), int(field.get("scale", default[1]))


def arrow_type(field: Field) -> pa.DataType:
    kind = field["type"]
    if kind in ("NUMERIC", "BIGNUMERIC"):
        precision, scale = _decimal(field)
        return (
            pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)
        )
    simple: dict[str, pa.DataType] = {
        "STRING": pa.string(),
        "INT64": pa.int64(),
        "INTEGER": pa.int64(),
        "FLOAT64": pa.float64(),
        "FLOAT": pa.float64(),
        "BOOL": pa.bool_(),
        "BOOLEAN": pa.bool_(),
        "TIMESTAMP": pa.timestamp("us", tz="UTC"),
        "DATE": pa.date32(),
    }
    return simple[kind]


def arrow_schema(table: str) -> pa.Schema:
    """The explicit Arrow schema of a table (no type inference anywhere)."""
    return pa.schema(
        [
            pa.field(f["name"], arrow_type(f), nullable=f.get("mode", "NULLABLE") != "REQUIRED")
            for f in fields(table)
        ]
    )


def duckdb_type(field: Field) -> str:
    kind = field["type"]
    if kind in ("NUMERIC", "BIGNUMERIC"):
        precision, scale = _decimal(field)
        if precision > 38:
            raise ValueError(
                f"{field['name']}: DuckDB decimals hold at most 38 digits; give precision <= 38"
            )
        return f"DECIMAL({precision},{scale})"
    return {
        "STRING": "VARCHAR",
        "INT64": "BIGINT",
        "INTEGER": "BIGINT",
        "FLOAT64": "DOUBLE",
        "FLOAT": "DOUBLE",
        "BOOL": "BOOLEAN",
        "BOOLEAN": "BOOLEAN",
        "TIMESTAMP": "TIMESTAMPTZ",
        "DATE": "DATE",
    }[kind]


def duckdb_columns(table: str) -> str:
    """Column definitions for CREATE TABLE in the local DuckDB warehouse."""
    return ", ".join(
        f'"{f["name"]}" {duckdb_type(f)}' + (" NOT NULL" if f.get("mode") == "REQUIRED" else "")
        for f in fields(table)
    )
