"""The negotiation engine: protocols, strategies, sessions and their traces."""
