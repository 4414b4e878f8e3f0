"""The one exception type a user sees: a one-line message, exit code 2."""


class InputError(Exception):
    """Unusable input or options: the CLI prints the message on one line and exits 2."""

    def __init__(self, message: str, path: object | None = None, column: str | None = None):
        self.path = path
        self.column = column
        where = f"{path}: " if path is not None else ""
        col = f"[{column}] " if column else ""
        super().__init__(f"{where}{col}{message}")
