"""The HTTP API (FastAPI). Routes live in routes/<feature>.py, each exposing `router`."""
