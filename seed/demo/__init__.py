"""The deterministic demo bank and its planted storylines."""
