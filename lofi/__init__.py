"""LoFi Studio backend: corpus → models → song → render → mix. Never imports streamlit."""

__version__ = "0.1.0"
