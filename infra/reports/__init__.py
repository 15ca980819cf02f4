"""Renderings of tool results for people (table, Markdown) and machines (JSON)."""
