"""The floor every other layer stands on: settings, the one error type, waiting, and the terminal.

Nothing here talks to Docker or imports from the layers above (verbs, engine, models)."""
