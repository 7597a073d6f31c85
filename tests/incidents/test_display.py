"""incidents.display prepares rows in Python; what they show is what the templates showed
when they computed it per row (the date filter, truncatechars, the SLA badge include)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template import engines
from django.test import override_settings

from incidents.display import Times, sla_badge, timeline_rows

# incidents/_sla_badge.html, included once per workspace row before the badge was prepared
OLD_BADGE = (
    "{% if timer.due_at %}{% if timer.breached %}"
    '<span class="sla breached" title="due {{ timer.due_at|date:\'c\' }}">breached</span>'
    '{% elif timer.met_at %}<span class="sla met">met</span>{% elif timer.at_risk %}'
    '<span class="sla at-risk" data-due="{{ timer.due_at|date:\'c\' }}">at risk</span>{% else %}'
    '<span class="sla ok" data-due="{{ timer.due_at|date:\'c\' }}">{{ timer.due_at|timeuntil }}</span>'
    "{% endif %}"
    '{% elif timer.paused %}<span class="sla paused">paused</span>{% else %}—{% endif %}'
)
# the badge cell of incidents/_list.html now
NEW_BADGE = (
    '{% if badge %}<span class="sla {{ badge.css }}"{% if badge.title %} title="{{ badge.title }}"{% endif %}'
    '{% if badge.due %} data-due="{{ badge.due }}"{% endif %}>{{ badge.text }}</span>{% else %}—{% endif %}'
)
NOW = datetime(2026, 3, 9, 8, 5, 7, 123456, tzinfo=UTC)


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def timer(due, *, breached=False, met_at=None, at_risk=False):
    return {"due_at": due, "met_at": met_at, "breached": breached, "at_risk": at_risk}


TIMERS = {
    "none": None,
    "paused": {"paused": True},
    "breached": timer(NOW - timedelta(hours=1), breached=True),
    "met late": timer(NOW - timedelta(hours=1), breached=True, met_at=NOW),
    "met": timer(NOW + timedelta(hours=1), met_at=NOW),
    "at risk": timer(NOW + timedelta(minutes=20), at_risk=True),
    "ok": timer(NOW + timedelta(days=1, hours=3)),
}


@pytest.mark.parametrize("state", TIMERS)
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_the_prepared_badge_renders_as_the_badge_template_did(state, zone):
    with override_settings(TIME_ZONE=zone):
        badge = sla_badge(TIMERS[state], NOW, Times())
        new = render(NEW_BADGE, badge=badge)
        # the template's timeuntil measured from the moment of rendering; the badge from the page's now
        old = render(OLD_BADGE, timer=TIMERS[state])
    if state == "ok":
        assert new.startswith('<span class="sla ok" data-due="') and "1\xa0day, 3\xa0hours" in new
        old, new = old.split(">")[0], new.split(">")[0]
    assert new == old


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_timeline_times_are_the_date_filter_formats(zone):
    moments = [NOW, NOW.replace(month=12, day=31, hour=23), NOW.replace(month=1, day=1, hour=0)]
    with override_settings(TIME_ZONE=zone):
        times = Times()
        for at in moments:
            assert times.iso(at) == render("{{ at|date:'c' }}", at=at)
            assert times.text(at, seconds=True) == render('{{ at|date:"M j, H:i:s" }}', at=at)
            assert times.text(at) == render('{{ at|date:"M j, H:i" }}', at=at)


def test_timeline_changes_are_clipped_as_truncatechars_did():
    long = "x" * 200
    entries = timeline_rows(
        [
            {
                "at": NOW,
                "type": "audit",
                "changes": {"title": [long, long], "is_personal_data_breach": [False, True]},
            },
            {"at": NOW, "type": "audit", "changes": {"status": [None, "open"], "team": "L2"}},
            {"at": NOW, "type": "communication"},
        ]
    )
    old = (
        "{% for field, delta in changes.items %}{{ field }}:"
        "{% if delta.0 %}{{ delta.0|truncatechars:60 }}{% endif %}>"
        "{{ delta.1|truncatechars:120 }};{% endfor %}"
    )
    new = "{% for field, old, new in rows %}{{ field }}:{{ old }}>{{ new }};{% endfor %}"
    first = entries[0]
    assert render(new, rows=first["change_rows"]) == render(old, changes=first["changes"])
    assert first["change_rows"][0][1] == "x" * 59 + "…" and len(first["change_rows"][0][2]) == 120
    assert entries[1]["change_rows"] == [("status", "", "open"), ("team", "", "L2")]
    assert entries[2]["change_rows"] == []
