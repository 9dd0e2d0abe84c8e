"""Model providers behind one interface: OpenAI(-compatible), Anthropic, Mistral, local models."""
