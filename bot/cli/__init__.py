"""The `stylebot` command: `main` dispatches to the subcommands each module registers
(`analyse`: parse, check, comment; `shop`: shop, search, catalog; `train_eval`: train, eval)."""
