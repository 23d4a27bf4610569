"""Chord vocabulary, token vocabularies and the encode/decode contract."""
