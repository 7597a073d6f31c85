"""Articles refuse obvious secrets, naming the line (knowledge.secrets): the seeded patterns,
payment card numbers by the Luhn check, and patterns edited as data."""

import pytest

from audit.models import AuditEvent
from core.errors import DomainError, ErrorCode
from knowledge import services
from knowledge.models import Article, SecretPattern
from knowledge.secrets import holds_card_number, luhn_valid

SAFE = "Open the VPN client.\nChoose Settings.\n"
HINT = "remove it (write <redacted> in its place) and save again."


@pytest.mark.parametrize(
    ("line", "looks_like"),
    [
        ("password: x", "a password"),
        ("db pwd=hunter2", "a password"),
        ('{"password": "s3cret"}', "a password"),
        ("-----BEGIN RSA PRIVATE KEY-----", "a private key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "a private key"),
        ("-----BEGIN PRIVATE KEY-----", "a private key"),
        ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "an AWS access key"),
        ("api_key=abcd1234efgh5678", "an API key or token"),
        ("curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc'", "a bearer token"),
        ("git clone https://ghp_" + "a1B2" * 9 + "@github.com/x/y", "a GitHub token"),
        ("card 4111 1111 1111 1111 on file", "a payment card number"),
        ("card 4111-1111-1111-1111", "a payment card number"),
        ("amex 378282246310005", "a payment card number"),
    ],
)
def test_a_body_holding_a_secret_is_refused_naming_its_line(people, line, looks_like):
    body = SAFE + line + "\nDone."
    with pytest.raises(DomainError) as excinfo:
        services.article_create(actor=people.analyst, title="VPN", body=body, type="resolution")
    message = f"Line 3 looks like {looks_like}; {HINT}"
    assert (excinfo.value.code, excinfo.value.message) == (ErrorCode.VALIDATION_ERROR, message)
    assert excinfo.value.fields == {"body": [message]}
    assert not Article.objects.exists() and not AuditEvent.objects.filter(ref_type="article").exists()


@pytest.mark.parametrize(
    "line",
    [
        "Reset the user's password in the directory.",
        "password=<redacted>",
        "Use a bearer token from the vault.",
        "-----BEGIN PUBLIC KEY-----",
        "api_key=<your key>",
        "Ticket 4111111111111112 (fails the Luhn check)",
        "Build 1700000000000 finished",  # 13 digits passing Luhn or not: no card starts with 1
        "Ports 10 20 30 40 50 60 70 80",
    ],
)
def test_ordinary_text_is_accepted(people, line):
    article = services.article_create(actor=people.analyst, title="VPN", body=SAFE + line, type="resolution")
    assert article.body.endswith(line)


def test_a_title_holding_a_secret_is_refused(people):
    with pytest.raises(DomainError) as excinfo:
        services.article_create(
            actor=people.analyst, title="root password: toor", body=SAFE, type="resolution"
        )
    message = f"The title looks like a password; {HINT}"
    assert (excinfo.value.message, excinfo.value.fields) == (message, {"title": [message]})


def test_an_edit_is_checked_too_and_changes_nothing(people, article):
    draft = article("draft")
    with pytest.raises(DomainError) as excinfo:
        services.article_edit(
            article=draft.reference, actor=people.analyst, body="one\ntwo\n-----BEGIN EC PRIVATE KEY-----"
        )
    assert excinfo.value.message == f"Line 3 looks like a private key; {HINT}"
    assert Article.objects.get(pk=draft.pk).version == 1


def test_lines_count_as_the_writer_typed_them(people):
    with pytest.raises(DomainError) as excinfo:
        services.article_create(
            actor=people.analyst, title="VPN", body="\n\nfirst\npwd=abc", type="resolution"
        )
    assert excinfo.value.message.startswith("Line 4 looks like a password")


def test_patterns_are_data(people):
    SecretPattern.objects.create(
        name="internal host", looks_like="an internal host name", regex=r"\bcorp-db-\d+\b"
    )
    with pytest.raises(DomainError) as excinfo:
        services.article_create(
            actor=people.analyst, title="DB", body="Connect to corp-db-7.", type="resolution"
        )
    assert excinfo.value.message == f"Line 1 looks like an internal host name; {HINT}"

    SecretPattern.objects.filter(name="password").update(active=False)
    services.article_create(actor=people.analyst, title="DB", body="password: x", type="resolution")


def test_a_broken_pattern_written_outside_the_admin_does_not_stop_writing(people):
    SecretPattern.objects.create(name="broken", looks_like="anything", regex="(unclosed")
    services.article_create(actor=people.analyst, title="VPN", body=SAFE, type="resolution")


def test_the_seeded_patterns(db):
    assert set(SecretPattern.objects.filter(active=True).values_list("name", flat=True)) == {
        "password", "private key", "AWS access key", "API key or token", "bearer token", "GitHub token",
        "Slack token",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("4111111111111111", True), ("4111111111111112", False), ("378282246310005", True),
     ("6011111111111117", True), ("5555555555554444", True), ("79927398713", True)],
)  # fmt: skip
def test_luhn(digits, valid):
    assert luhn_valid(digits) is valid


def test_card_numbers_need_13_to_19_digits_and_a_card_prefix():
    assert holds_card_number("4222222222222")  # 13 digits, Visa
    assert not holds_card_number("79927398713")  # passes Luhn, 11 digits
    assert not holds_card_number("1234567812345670")  # passes Luhn, but no card starts with 1
