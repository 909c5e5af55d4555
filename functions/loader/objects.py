"""An object's bytes -> an Arrow table of its table's exact schema, or BadObject.

The local warehouse checks what BigQuery checks in a load job with an explicit
schema, ``ignore_unknown_values = false`` and no bad records allowed: every line
is a JSON object (JSONL) or the file is Parquet, no field is unknown, no REQUIRED
value is missing or null, every value converts to its column's type and fits its
precision, and a REPLACE_DATE object holds only its own date's rows.
"""

from __future__ import annotations

import io
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from coinpulse import lake, schemas


class BadObject(ValueError):
    """An object that can never load: unparseable, or not of its table's schema."""


def _jsonl(data: bytes, schema: pa.Schema) -> pa.Table:
    if not data.strip():
        return schema.empty_table()
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
    return pa_json.read_json(io.BytesIO(data), parse_options=options)


def _parquet(data: bytes, schema: pa.Schema) -> pa.Table:
    table = pq.read_table(io.BytesIO(data))
    unknown = sorted(set(table.schema.names) - set(schema.names))
    missing = sorted(set(schema.names) - set(table.schema.names))
    if unknown or missing:
        raise BadObject(f"columns differ from the schema: missing {missing}, unknown {unknown}")
    table = table.select(schema.names)
    for field in schema:
        found = table.schema.field(field.name).type
        if found != field.type:
            raise BadObject(f"column {field.name} is {found}, the schema says {field.type}")
        if not field.nullable and table.column(field.name).null_count:
            raise BadObject(f"REQUIRED column {field.name} holds nulls")
    return table


def read_table(data: bytes, target: lake.Target) -> pa.Table:
    """Parse and check one object for its route's table. Raises BadObject."""
    route = target.route
    schema = schemas.arrow_schema(route.table)
    try:
        table = (
            _jsonl(data, schema) if route.source_format == lake.JSONL else _parquet(data, schema)
        )
        table.validate(full=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as error:
        raise BadObject(f"{route.source_format} does not fit {route.table}: {error}") from None
    if route.write == lake.REPLACE_DATE and target.day is not None:
        _only_day(table, route.partitioning.field, target.day)
    return table.cast(schema)


def _only_day(table: pa.Table, column: str, day: date) -> None:
    others = pc.unique(pc.filter(table.column(column), pc.not_equal(table.column(column), day)))
    if len(others):
        found = ", ".join(str(value) for value in others.to_pylist()[:3])
        raise BadObject(f"rows of {column} {found} in the object of {day.isoformat()}")
