"""Foundations every layer may use: settings, the two languages, periods and the working-day calendar."""
