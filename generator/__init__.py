"""examgen: per-student variants of quiz problems with exact answers and worked solutions."""

__version__ = "0.1.0"
