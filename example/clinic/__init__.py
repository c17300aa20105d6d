"""Clinic demo app: multi-table inheritance, an M2M with a through model, custom managers."""
