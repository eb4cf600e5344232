"""Negotiation protocols."""
