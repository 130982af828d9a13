"""The channel-agnostic chat engine: `dialog.Dialog.handle(Incoming) -> list[Reply]`, the
message types (`messages`), the rate limit and recent photos; one module per journey in
`flows/`, each declaring its commands and buttons."""
