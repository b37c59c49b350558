"""Reviewer: risk-ranked review and signed senior approvals for AI-assisted code changes."""

__version__ = "0.1.0"
