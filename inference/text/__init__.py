"""Text understanding: the language people write in, what they want, and the optional LLM."""
