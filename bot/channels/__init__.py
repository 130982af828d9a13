"""Thin adapters between the outside and the chat engine: Telegram (`telegram`), the local web
chat (`web` + `static/`) and the reminder jobs that message users first (`reminder_jobs`)."""
