"""The built-in theme (installed as the `generator.theme` package data)."""
