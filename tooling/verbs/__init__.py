"""One module per thing a task asks for (`inv build` is verbs/build.py, `inv lock` is
verbs/requirements.py): each uses the engine and the models, never another verb, returns data or
raises ToolError, and leaves printing to tasks.py."""
