"""The warehouse schema, read from schema.yaml: DDL for every table, and the documented columns."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

SCHEMA_FILE = Path(__file__).with_name("schema.yaml")


@lru_cache(maxsize=1)
def tables() -> dict[str, dict]:
    """{table: {"description": str, "columns": {name: {"type", "description", ...}}}} in file order."""
    return yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))


def ddl(table: str) -> str:
    """A portable CREATE TABLE statement for one documented table."""
    cols = tables()[table]["columns"]
    body = ",\n  ".join(f"{name} {spec['type']}" for name, spec in cols.items())
    return f"create table {table} (\n  {body}\n)"


def column_names(table: str) -> list[str]:
    return list(tables()[table]["columns"])
