"""The only writers of monitoring events: the intake (events and batches) and the
Alertmanager receiver."""

from monitoring.services.alertmanager import *  # noqa: F403
from monitoring.services.intake import *  # noqa: F403
