"""envoywatch: watch what embassies and diplomats post, and how the public answers."""

__version__ = "0.1.0"
