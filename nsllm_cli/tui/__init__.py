"""Textual front ends (`nsllm dashboard`, `nsllm chat`); imported only by their commands, never by `nsllm --help`."""
