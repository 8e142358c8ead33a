"""Screening signals: one pure module per signal, plus shared text normalisation and lexicon data."""
