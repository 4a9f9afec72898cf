"""The app's own state: users and sign-in, sessions, the audit log, actions, subscriptions (SQLite under
$COCKPIT_HOME, or the PostgreSQL of COCKPIT_STATE; db.py is the way in)."""
