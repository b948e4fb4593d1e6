"""Placeholder: filled in by the CNN/RNN layer work."""

__all__ = []
