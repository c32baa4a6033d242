"""kustomize Go plugin compatibility matrix: build, load, record, explain."""

__version__ = "0.1.0"


class UserError(Exception):
    """A problem with the user's input or environment: printed as one clear line,
    never as a traceback."""
