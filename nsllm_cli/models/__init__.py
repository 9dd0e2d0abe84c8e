"""Model resolution (`--model`), the embedded default, the tiny test model, and devices."""
