"""Hardening: hostile files, injected faults and long sessions."""
