"""Rows a batch writes together when it ends instead of one INSERT each, keeping only those
added in savepoints that were not rolled back.

Each ``add`` registers a no-op ``transaction.on_commit`` callback beside its rows. Django
forgets the callbacks registered inside a savepoint it rolls back, so the callbacks still
registered when the batch ends name the rows still wanted, whichever code rolled back:
nobody has to report a rollback to the batch.
"""

from django.db import connection, transaction


class _Witness:
    """An on-commit callback that does nothing: that it is still registered is the news."""

    __slots__ = ()

    def __call__(self) -> None:
        pass


class DeferredRows:
    def __init__(self) -> None:
        if not connection.in_atomic_block:
            raise RuntimeError("deferred rows are written when a transaction ends: open one first")
        self._added: list[tuple[list, _Witness]] = []

    def add(self, rows: list) -> None:
        witness = _Witness()
        transaction.on_commit(witness)
        self._added.append((rows, witness))

    def surviving(self) -> list:
        """The rows added, in order, but those of savepoints rolled back since."""
        registered = {id(func) for _, func, _ in connection.run_on_commit}
        return [row for rows, witness in self._added if id(witness) in registered for row in rows]
