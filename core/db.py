"""The database pool after a database restart.

A restart breaks every connection psycopg's pool holds, and the pool learns it only when
one is used: without help each idle connection of each worker fails one request with a 500.
Checking every connection as it is handed out (Django's CONN_HEALTH_CHECKS) does not help
enough: psycopg_pool backs off 1, 2, 4, 8 s between failed checks, so a worker holding more
than three broken connections makes its next request wait the pool's whole timeout and fail
anyway. Instead, the first request that fails on a database error has the pool test all its
idle connections at once (``ConnectionPool.check()``, which replaces the broken ones): one
failed request per worker, answered at once, and the pool is whole again.
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)


def pool_check_after_database_error(sender, **kwargs) -> None:
    exc = sys.exc_info()[1]  # the signal is sent while the request's exception is handled
    if not isinstance(exc, DatabaseError):
        return
    for connection in connections.all(initialized_only=True):
        pool = connection.pool if connection.vendor == "postgresql" else None
        if pool is None:
            continue
        try:
            pool.check()
        except Exception:  # noqa: BLE001 - the request has failed already; never fail it twice
            logger.warning("checking the connection pool of %r failed", connection.alias, exc_info=True)


def connect_signals() -> None:
    got_request_exception.connect(pool_check_after_database_error, dispatch_uid="ims.pool_check")
