"""Widgets of the Textual front ends, one per module."""
