"""Subscriptions and `cockpit deliver`: reports and digests sent by email or WeCom when due."""
