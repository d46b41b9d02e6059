"""The engine room behind tasks.py and the smoke session: settings and Docker, in one place."""
