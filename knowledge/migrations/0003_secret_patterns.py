from django.db import migrations

# The secrets an article may not hold (knowledge.secrets; payment card numbers are found by
# code). Edited afterwards in the admin, where every change is audited.
PATTERNS = [
    ("password", "a password",
     r"""(?i)\b(?:password|passwd|pwd|passphrase)\b["']?\s*[:=]\s*["']?(?!<)[^\s"'<]+"""),
    ("private key", "a private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ("AWS access key", "an AWS access key", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
    ("API key or token", "an API key or token",
     r"""(?i)\b(?:api[_-]?key|apikey|api[_-]?token|access[_-]?token|auth[_-]?token|secret[_-]?key|client[_-]?secret)\b["']?\s*[:=]\s*["']?[A-Za-z0-9_\-./+=]{8,}"""),
    ("bearer token", "a bearer token", r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]{16,}=*"),
    ("GitHub token", "a GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"),
    ("Slack token", "a Slack token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
]


def seed(apps, schema_editor):
    SecretPattern = apps.get_model("knowledge", "SecretPattern")
    for name, looks_like, regex in PATTERNS:
        SecretPattern.objects.get_or_create(name=name, defaults={"looks_like": looks_like, "regex": regex})


def unseed(apps, schema_editor):
    SecretPattern = apps.get_model("knowledge", "SecretPattern")
    SecretPattern.objects.filter(name__in=[name for name, _, _ in PATTERNS]).delete()


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_search_versions_secrets")]

    operations = [migrations.RunPython(seed, unseed)]
