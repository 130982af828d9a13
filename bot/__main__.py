"""`python -m bot` is the `stylebot` command."""

import sys

from bot.cli.main import main

sys.exit(main())
