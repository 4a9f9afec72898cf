"""The app's own state: users and sign-in, the audit log, actions (SQLite under $COCKPIT_HOME)."""
