from django.db import models


class ProblemStatus(models.TextChoices):
    NEW = "new", "New"
    UNDER_INVESTIGATION = "under_investigation", "Under investigation"
    KNOWN_ERROR = "known_error", "Known error"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# the problems a new one may duplicate: still being worked (a resolved one is waiting out its
# stability window, its cause fixed; a recurrence reopens its investigation instead)
ACTIVE_STATUSES = (ProblemStatus.NEW, ProblemStatus.UNDER_INVESTIGATION, ProblemStatus.KNOWN_ERROR)
