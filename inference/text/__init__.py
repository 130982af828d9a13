"""Open-ended text: answers to free questions about an outfit from a language model (llm.py),
grounded in what the parser and Style Check found and held to the comments' rules."""
