"""Vendor API shapes served by the sandbox: one module per API, each exposing ``routes(ctx)``."""
