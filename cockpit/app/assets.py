"""Files the app serves itself, so a page fetches nothing from the internet (a bank's closed network):
Streamlit turns a ":material/...:" page icon into a request to fonts.gstatic.com, an image file it inlines."""

from __future__ import annotations

from pathlib import Path

FAVICON = Path(__file__).with_name("static") / "favicon.png"
