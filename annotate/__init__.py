"""annotate: news articles in, human-checked entity and stance datasets out."""

__version__ = "0.1.0"
