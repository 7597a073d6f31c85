"""The only writers of incidents: one service per SOP (the sop package) and the SLA engine's
automatic actions (sla.py), all audited; and the audited reads (reads.py)."""

from incidents.services.reads import *  # noqa: F403
from incidents.services.sla import *  # noqa: F403
from incidents.services.sop import *  # noqa: F403
from incidents.services.sop import STATE_RULES  # noqa: F401 - explicit for readers
