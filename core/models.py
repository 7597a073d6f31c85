"""Shared model pieces: timestamps, human references and the heartbeat of the workers."""

from django.db import IntegrityError, connection, models, transaction


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ReferenceCounter(models.Model):
    """The last number handed out per prefix (INC, SVC, …).

    Allocation increments the row with one UPDATE, which holds the row lock until the
    surrounding transaction ends: two allocations never see the same value, on PostgreSQL
    and on SQLite alike. A rolled back transaction gives its number back.
    """

    prefix = models.CharField(max_length=8, primary_key=True)
    last_value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last_value}"


def _increment(prefix: str) -> int | None:
    # one statement: UPDATE … RETURNING (PostgreSQL; SQLite 3.35+)
    table = ReferenceCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_value = last_value + 1 WHERE prefix = %s RETURNING last_value", [prefix]
        )
        row = cursor.fetchone()
    return row[0] if row else None


def allocate_reference(prefix: str, width: int = 6) -> str:
    with transaction.atomic(savepoint=False):
        for _ in range(2):
            value = _increment(prefix)
            if value is not None:
                return f"{prefix}-{value:0{width}d}"
            try:
                with transaction.atomic():
                    ReferenceCounter.objects.create(prefix=prefix, last_value=0)
            except IntegrityError:
                pass  # created by a concurrent first allocation; increment it instead
    raise RuntimeError(f"could not allocate a {prefix} reference")


class ReferencedModel(TimeStampedModel):
    """A record addressed by a human reference such as ``INC-000123``."""

    REFERENCE_PREFIX: str = ""

    reference = models.CharField(max_length=20, unique=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs):
        if not self.reference:
            self.reference = allocate_reference(self.REFERENCE_PREFIX)
        super().save(*args, **kwargs)


class Heartbeat(models.Model):
    """When a Celery worker last ran the beat's heartbeat task (shown by /healthz)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


def drop_stale_relations(obj: models.Model) -> models.Model:
    """Forget related rows cached by ``select_related`` that no longer match ``obj``'s keys.

    Under READ COMMITTED, ``SELECT … FOR UPDATE OF self`` that waited for another writer
    returns the row as that writer committed it, but the rows joined to it come from the
    statement's snapshot taken before the wait: a team joined as NULL beside the new
    ``assigned_team_id``. Dropping the mismatched cache makes Django load the current row.
    """
    for field in obj._meta.concrete_fields:
        if field.is_relation and field.is_cached(obj):
            related = field.get_cached_value(obj)
            if (related.pk if related is not None else None) != getattr(obj, field.attname):
                field.delete_cached_value(obj)
    return obj
