"""Pure domain: frozen dataclasses and functions. No web, no database, no network."""
