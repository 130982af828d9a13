"""Pure image and text functions and models: no chat, no database."""
