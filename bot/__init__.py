"""Channels and dialogue: Telegram, the local web chat and the CLI over one dialogue engine."""
