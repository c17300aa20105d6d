"""Logging, and later metrics and health checks (SPEC §9)."""
