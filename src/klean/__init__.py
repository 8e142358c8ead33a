"""Klean: keep counterfeit goods off online marketplaces."""

__version__ = "0.1.0"
