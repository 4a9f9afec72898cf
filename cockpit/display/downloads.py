"""A table a page shows, as the file its download button gives: CSV that Excel opens with Chinese intact, or a
workbook."""

from __future__ import annotations

import io

import pandas as pd


def csv_bytes(df: pd.DataFrame) -> bytes:
    """A CSV export that Excel opens with Chinese text intact (UTF-8 with a byte-order mark)."""
    return df.to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(df: pd.DataFrame, sheet: str) -> bytes:
    """An Excel workbook with one sheet holding the frame."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xl:
        df.to_excel(xl, sheet_name=sheet[:31], index=False)
    return buf.getvalue()
