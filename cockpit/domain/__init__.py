"""The bank's rules: metrics, targets and status, scorecards, the SICAS funnel, channels, outcome."""
