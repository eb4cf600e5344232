"""Built-in strategies, one family per module."""
