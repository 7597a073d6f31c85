"""Reading communications with their deliveries summed up, in the same single query."""

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum, TextField, Value
from django.db.models.functions import Coalesce

from communications.models import Delivery


def with_delivery_summary(rows: QuerySet) -> QuerySet:
    """Annotate ``delivery_attempts`` (all rows' attempts) and ``delivery_error`` (the latest
    reason a row failed, "" if none) as subqueries: no query per communication."""
    mine = Delivery.objects.filter(communication=OuterRef("pk"))
    attempts = mine.order_by().values("communication").annotate(n=Sum("attempts")).values("n")
    error = mine.exclude(last_error="").order_by("-updated_at", "-id").values("last_error")[:1]
    return rows.annotate(
        delivery_attempts=Coalesce(Subquery(attempts, output_field=IntegerField()), Value(0)),
        delivery_error=Coalesce(
            Subquery(error, output_field=TextField()), Value(""), output_field=TextField()
        ),
    )
