"""The tool usage's vocabularies (seed 001, "Tool Usages & Simulations"; SPEC.md, SOP 17)."""

from django.db import models


class Tool(models.TextChoices):
    MONITORING = "monitoring", "Monitoring"
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis", "Root cause analysis"
    ITSM_SERVICE_DESK = "ITSM_service_desk", "ITSM service desk"
    INCIDENT_RESPONSE = "incident_response", "Incident response"
    AI_VIRTUAL_AGENT = "AI_virtual_agent", "AI virtual agent"
    AIOPS = "AIOps", "AIOps"
    AUTOMATION_SCRIPT = "automation_script", "Automation script"


class Outcome(models.TextChoices):
    APPLIED = "applied", "Applied"
    RECOMMENDED = "recommended", "Recommended"
    NOTED = "noted", "Noted"
    FAILED = "failed", "Failed"
