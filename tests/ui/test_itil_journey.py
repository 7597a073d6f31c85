"""The ITIL loop end to end in Chromium (issue 14): an incident raises a problem, the
problem's workaround becomes a KB article that a second person publishes, a change approved
by the CAB is linked to the incident as its fix, the incident is resolved and closed, and
its post-incident review is filed, completed and its action items done. Every step is
taken in the pages, by the person whose role it is, as they would click it.

Runs against pytest-django's live server in the PostgreSQL pass only: a transactional test
flushes the tables afterwards, which SQLite's append-only audit trigger refuses."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from audit.verify import verify_chain
from changes.models import Change, ChangeIncidentLink
from incidents.models import Incident
from knowledge.models import Article
from problems.models import Problem
from reviews.models import Review
from tests.ui.browser import Desk, act, fill, status_of
from tests.ui.conftest import DESKTOP

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def said(page: Page, text: str) -> None:
    """The page's confirmation message (base.html's messages) contains ``text``."""
    expect(page.locator("ul.messages")).to_contain_text(text)


def ref_in_header(page: Page, prefix: str) -> str:
    ref = page.locator("h1 .ref").inner_text()
    assert re.fullmatch(rf"{prefix}-\d{{6}}", ref), ref
    return ref


def trail(ref: str, ref_type: str) -> list[tuple[str, str]]:
    """The record's audit events, oldest first: (action, actor)."""
    events = AuditEvent.objects.filter(ref_type=ref_type, ref_id=ref).order_by("seq")
    return list(events.values_list("domain_action", "actor_label"))


def changes_of(ref: str, ref_type: str) -> list[dict]:
    events = AuditEvent.objects.filter(ref_type=ref_type, ref_id=ref).order_by("seq")
    return [event.changes for event in events]


def test_itil_loop_journey(live_server, new_context):
    call_command("seed_demo", stdout=StringIO())
    desk = Desk(new_context, live_server.url)

    # -- the service desk reports a P2 on Email and hands it to L2 --------------------------
    alex = desk.sign_in("analyst", DESKTOP)
    alex.get_by_role("navigation", name="Main").get_by_role("link", name="Report").click()
    alex.get_by_label("Affected service").select_option(label="Email")
    alex.get_by_label("Category:", exact=True).select_option("software")
    alex.get_by_label("Short summary").fill("Outlook drops its connection every few minutes")
    alex.get_by_label("What happened?").fill("Since the 9:00 patch window, for the whole sales floor.")
    alex.locator("input[name=impact][value=high]").check()
    alex.locator("input[name=urgency][value=medium]").check()
    expect(alex.locator("[data-priority-preview]")).to_have_text("P2")
    with alex.expect_navigation():
        alex.get_by_role("button", name="Report incident").click()
    said(alex, "reported with priority P2")
    inc = ref_in_header(alex, "INC")
    expect(alex.get_by_test_id("priority")).to_have_text("P2")
    act(alex, "assign", {"team": "L2"}, button="Assign")
    said(alex, f"{inc}: assign done.")
    expect(status_of(alex)).to_have_text("In Progress")

    # -- 1. the analyst raises a problem from the incident's page ---------------------------
    problems = alex.get_by_test_id("problems")
    expect(problems).to_contain_text("No linked problem.")
    with alex.expect_navigation():
        problems.get_by_test_id("raise-problem").click()
    expect(alex.get_by_role("heading", name=f"Raise a problem from {inc}")).to_be_visible()
    expect(alex.get_by_label("Linked incidents")).to_have_value(inc)  # prefilled from the incident
    expect(alex.get_by_label("Title")).to_have_value("Outlook drops its connection every few minutes")
    alex.get_by_label("Symptom").fill("Outlook shows 'disconnected' every few minutes; webmail works.")
    alex.get_by_label("Owner team").select_option("L2")
    with alex.expect_navigation():
        alex.get_by_role("button", name="Raise problem").click()
    prb = ref_in_header(alex, "PRB")
    said(alex, f"{prb} raised.")
    expect(status_of(alex)).to_have_text("New")
    linked = alex.get_by_test_id("incidents").locator(f"li[data-incident='{inc}']")
    expect(linked).to_contain_text("linked by analyst")
    with alex.expect_navigation():
        linked.get_by_role("link", name=inc).click()
    problem_row = alex.get_by_test_id("problems").locator(f"li[data-problem='{prb}']")
    expect(problem_row).to_contain_text("Outlook drops its connection")
    expect(problem_row.locator(".status")).to_have_text("New")

    # -- 2. an L2 engineer investigates and records the workaround: a known error -----------
    lou = desk.sign_in("l2", DESKTOP)
    lou.get_by_role("navigation", name="Main").get_by_role("link", name="Problems").click()
    with lou.expect_navigation():
        lou.locator("#problem-list").get_by_role("link", name=prb).click()
    act(lou, "start_investigation", {}, button="Start investigation")
    said(lou, f"{prb}: start investigation done.")
    expect(status_of(lou)).to_have_text("Under investigation")
    expect(lou.get_by_test_id("incidents")).to_contain_text("No KB article yet.")
    workaround = lou.locator("#act-record_workaround")
    workaround.locator("summary").click()
    expect(workaround.locator("[name=symptom]")).to_have_value(  # the problem's symptom, to keep or edit
        "Outlook shows 'disconnected' every few minutes; webmail works."
    )
    act(
        lou,
        "record_workaround",
        {
            "root_cause": "The 9:00 patch lowered the mail gateway's idle timeout to 60 s.",
            "workaround": "Set Outlook's keep-alive to 30 s (File > Account settings > More settings).",
        },
        button="Record workaround",
    )
    said(lou, f"{prb}: record workaround done.")
    expect(status_of(lou)).to_have_text("Known error")
    expect(lou.locator(".fields")).to_contain_text("lowered the mail gateway's idle timeout")
    article = lou.get_by_test_id("incidents").locator("li[data-article]")
    expect(article).to_have_count(1)
    expect(article).to_contain_text("Workaround: Outlook drops its connection every few minutes")
    expect(article.locator(".status")).to_have_text("In review")
    kb = article.get_attribute("data-article")
    assert re.fullmatch(r"KB-\d{6}", kb), kb
    with lou.expect_navigation():
        article.get_by_role("link", name=kb).click()  # the article, as written from the problem
    expect(status_of(lou)).to_have_text("In review")
    expect(lou.locator(".kb-body")).to_contain_text(f"Known error {prb} on Email")
    expect(lou.locator(".kb-body")).to_contain_text("The 9:00 patch lowered the mail gateway's idle timeout")
    expect(lou.locator("main")).to_contain_text("Not published yet.")  # no version before its review
    lou.go_back()
    expect(lou.locator("h1 .ref")).to_have_text(prb)

    # -- 3. an incident manager (not the author) publishes the article from the review queue -
    morgan = desk.sign_in("manager", DESKTOP)
    morgan.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge").click()
    with morgan.expect_navigation():
        morgan.get_by_role("link", name="Review queue").click()
    queued = morgan.locator(f"tr[data-ref='{kb}']")
    expect(queued).to_contain_text("l2")  # the author
    with morgan.expect_navigation():
        queued.get_by_role("link", name="Review").click()
    expect(morgan.locator("#act-approve")).to_have_attribute("open", "")  # the link opened the panel
    expect(status_of(morgan)).to_have_text("In review")
    expect(morgan.locator(".kb-body")).to_contain_text("Set Outlook's keep-alive to 30 s")
    expect(morgan.locator(".kb-incidents")).to_contain_text(inc)  # linked to the problem's incident
    act(morgan, "approve", {"comment": "Clear and safe; publishing."}, button="Approve and publish")
    said(morgan, f"{kb}: approve and publish done.")
    expect(status_of(morgan)).to_have_text("Published")
    expect(morgan.locator(".kb-versions")).to_contain_text("by l2, approved by manager")
    morgan.goto("/kb/review/")
    expect(morgan.locator(f"tr[data-ref='{kb}']")).to_have_count(0)
    lou.reload()  # the problem page shows the article as published
    published = lou.get_by_test_id("incidents").locator(f"li[data-article='{kb}'] .status")
    expect(published).to_have_text("Published")

    # -- 4. L2 requests a change for the incident; the CAB approves it; the desk links it ----
    lou.goto(f"/incidents/{inc}/")
    expect(lou.get_by_test_id("kb-panel").locator(f"li[data-ref='{kb}']")).to_contain_text("Published")
    changes = lou.get_by_test_id("incident-changes")
    expect(changes).to_contain_text("No change linked.")
    with lou.expect_navigation():
        changes.get_by_role("link", name="Request a change for it").click()
    expect(lou.get_by_label("For incident")).to_have_value(inc)
    start = timezone.localtime() + timedelta(days=1)
    lou.get_by_label("Summary").fill("Restore the mail gateway's idle timeout to 30 minutes")
    lou.get_by_label("Type:", exact=True).select_option("normal")
    lou.get_by_label("Risk").select_option("low")
    lou.get_by_label("Window starts").fill(start.strftime("%Y-%m-%dT%H:%M"))
    lou.get_by_label("Window ends").fill((start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    lou.get_by_label("Rollback plan").fill("Set the timeout back to 60 s.")
    with lou.expect_navigation():
        lou.get_by_role("button", name="Request change").click()
    chg = ref_in_header(lou, "CHG")
    said(lou, f"{chg} requested (Pending approval).")
    expect(status_of(lou)).to_have_text("Pending approval")
    expect(lou.get_by_test_id("incident-links")).to_contain_text(f"{inc} ")
    expect(lou.get_by_test_id("incident-links")).to_contain_text("raised for")
    expect(lou.locator("#act-approve")).to_have_count(0)  # the CAB decides, not the requester

    casey = desk.sign_in("cab", DESKTOP)
    casey.get_by_role("navigation", name="Main").get_by_role("link", name="CAB").click()
    expect(casey.get_by_test_id("pending-count")).to_have_text("1")
    with casey.expect_navigation():
        casey.get_by_role("link", name=chg).click()
    act(casey, "approve", {"comment": "Low risk, tested on staging."}, button="Approve")
    said(casey, f"{chg}: approve done.")
    expect(status_of(casey)).to_have_text("Approved")
    expect(casey.locator(".fields")).to_contain_text("by cab")
    casey.goto("/changes/cab/")
    expect(casey.get_by_test_id("pending-count")).to_have_text("0")

    alex.goto(f"/incidents/{inc}/")
    changes = alex.get_by_test_id("incident-changes")
    expect(changes).to_contain_text("requested for it")
    fill(changes, {"change": chg, "relation": "fixes"})
    with alex.expect_navigation():
        changes.get_by_role("button", name="Link change").click()
    said(alex, f"{inc}: {chg} linked.")
    changes = alex.get_by_test_id("incident-changes")
    expect(changes.locator("li")).to_have_count(2)
    expect(changes.locator("li").filter(has_text="fixes it")).to_contain_text(chg)
    expect(changes.locator("li").filter(has_text="fixes it").locator(".status")).to_have_text("Approved")

    # -- 5. L2 resolves the incident; an incident manager closes the P2 --------------------
    lou.goto(f"/incidents/{inc}/")
    act(
        lou,
        "resolve",
        {"resolution_summary": f"Keep-alive workaround applied ({kb}); {chg} fixes the cause.",
         "service_restored": "on"},
        button="Resolve",
    )  # fmt: skip
    said(lou, f"{inc}: resolve done.")
    expect(status_of(lou)).to_have_text("Resolved")
    expect(lou.locator("#act-close")).to_have_count(0)  # a P2 is closed by a manager

    morgan.goto(f"/incidents/{inc}/")
    act(morgan, "close", {"closure_notes": "Workaround published; gateway fix approved."}, button="Close")
    said(morgan, f"{inc}: close done.")
    expect(status_of(morgan)).to_have_text("Closed")

    # -- 6. the incident manager files the PIR, adds action items, completes it ------------
    pir_panel = morgan.locator("section[data-related=review]")
    expect(pir_panel).to_contain_text(f"{inc} owes a post-incident review.")
    with morgan.expect_navigation():
        pir_panel.get_by_role("link", name="Start the PIR").click()
    expect(morgan.get_by_role("heading", name=f"Post-incident review of {inc}")).to_be_visible()
    expect(morgan.locator("main")).to_contain_text(f"{inc} is P2: a PIR is required.")
    morgan.get_by_label("Timeline").fill("09:00 patch; 09:20 first reports; 10:05 workaround; 11:00 fixed.")
    morgan.get_by_label("Contributing factors").fill("The patch notes did not mention the idle timeout.")
    morgan.get_by_label("Root cause").fill("The gateway's idle timeout was lowered to 60 s.")
    morgan.get_by_label("Lessons").fill("Read the gateway's changed defaults before each patch.")
    morgan.get_by_label("KB articles").fill(kb)
    with morgan.expect_navigation():
        morgan.get_by_role("button", name="File the review").click()
    pir = ref_in_header(morgan, "PIR")
    said(morgan, f"{pir} filed for {inc}; add its action items.")
    expect(status_of(morgan)).to_have_text("Draft")
    expect(morgan.locator("[data-field=kb_articles]").get_by_role("link", name=kb)).to_be_visible()
    expect(morgan.locator(".action-items")).to_contain_text("No action items yet.")

    due = (timezone.localdate() + timedelta(days=14)).isoformat()
    act(
        morgan,
        "add_item",
        {"description": "Add the idle timeout to the patch checklist.", "owner": "l2", "due_date": due},
        button="Add an action item",
    )
    said(morgan, f"{pir}: add an action item done.")
    act(
        morgan,
        "add_item",
        {"description": "Brief the desk on the keep-alive workaround.", "owner": "manager", "due_date": due},
        button="Add an action item",
    )
    item = {n: morgan.locator(f".action-item[data-item='{n}']") for n in (1, 2)}
    expect(item[1]).to_contain_text("owner l2")
    expect(item[2]).to_contain_text("owner manager")
    act(morgan, "complete", {}, button="Complete the review")
    said(morgan, f"{pir}: complete the review done.")
    expect(status_of(morgan)).to_have_text("Completed")
    expect(morgan.locator("#act-add_item")).to_have_count(0)  # read-only now but for its items' status

    # the incident manager marks their own item done on the review's page
    with morgan.expect_navigation():
        item[2].locator("[data-item-action=done]").get_by_role("button", name="Mark done").click()
    said(morgan, f"{pir}: action item 2 — mark done done.")
    expect(morgan.locator(".action-item[data-item='2'] .status")).to_have_text("Done")
    expect(morgan.locator(".action-item[data-item='1'] .status")).to_have_text("Open")

    # the L2 engineer marks theirs done from "My action items"
    lou.get_by_role("navigation", name="Main").get_by_role("link", name="My action items").click()
    mine = lou.locator(f"article[data-item='{pir}-1']")
    expect(mine).to_contain_text("Add the idle timeout to the patch checklist.")
    with lou.expect_navigation():
        mine.get_by_role("button", name="Mark done").click()
    said(lou, f"{pir}: action item 1 — mark done done.")
    expect(lou).to_have_url(re.compile(r"/reviews/mine/$"))
    expect(lou.locator(f"article[data-item='{pir}-1'] .status")).to_have_text("Done")
    expect(lou.locator(f"article[data-item='{pir}-1'] [data-item-action]")).to_have_count(0)

    # the incident's page now shows the whole loop
    morgan.goto(f"/incidents/{inc}/")
    expect(status_of(morgan)).to_have_text("Closed")
    expect(morgan.get_by_test_id("problems").locator(f"li[data-problem='{prb}'] .status")).to_have_text(
        "Known error"
    )
    expect(morgan.get_by_test_id("kb-panel").locator(f"li[data-ref='{kb}']")).to_be_visible()
    expect(morgan.get_by_test_id("incident-changes")).to_contain_text(chg)
    pir_panel = morgan.locator("section[data-related=review]")
    expect(pir_panel).to_contain_text(f"{pir} Completed · 0 open action items")
    expect(pir_panel.get_by_role("link", name="Start the PIR")).to_have_count(0)

    # -- what was stored, and the audit trail of each record --------------------------------
    problem = Problem.objects.get(reference=prb)
    assert problem.status == "known_error"
    assert list(problem.incidents.values_list("reference", flat=True)) == [inc]
    assert list(problem.articles.values_list("reference", flat=True)) == [kb]
    assert Article.objects.get(reference=kb).status == "published"
    assert Change.objects.get(reference=chg).status == "approved"
    links = ChangeIncidentLink.objects.filter(incident__reference=inc, change__reference=chg)
    assert sorted(links.values_list("relation", flat=True)) == ["fixes", "raised_for"]
    incident = Incident.objects.get(reference=inc)
    assert incident.status == "closed" and incident.pir_filed_at is not None
    review = Review.objects.get(reference=pir)
    assert review.status == "completed"
    assert list(review.action_items.order_by("number").values_list("status", "owner__username")) == [
        ("done", "l2"),
        ("done", "manager"),
    ]

    # each record's trail, in order: (action, who)
    assert trail(prb, "problem") == [("create", "analyst"), ("update", "l2"), ("update", "l2")]
    assert changes_of(prb, "problem")[0]["incidents"] == [None, inc]
    assert changes_of(prb, "problem")[2]["status"] == ["under_investigation", "known_error"]
    assert changes_of(prb, "problem")[2]["article"] == [None, kb]
    assert trail(kb, "article") == [("create", "l2"), ("approve", "manager")]
    assert changes_of(kb, "article")[1]["status"] == ["in_review", "published"]
    assert trail(chg, "change") == [("create", "l2"), ("approve", "cab"), ("link", "analyst")]
    assert changes_of(chg, "change")[1]["status"] == ["pending", "approved"]
    # the system's own notifications aside (a P2 notifies its stakeholders when reported)
    assert [event for event in trail(inc, "incident") if event[0] != "notify"] == [
        ("identify", "analyst"),
        ("update", "analyst"),  # assigned to L2
        ("link", "analyst"),  # the problem
        ("update", "l2"),  # the change requested for it
        ("update", "analyst"),  # the change linked as its fix
        ("resolve", "l2"),
        ("close", "manager"),
        ("review", "manager"),  # the PIR filed
    ]
    assert [c.get("change_link") for c in changes_of(inc, "incident") if "change_link" in c] == [
        [None, chg],
        [None, chg],
    ]
    assert trail(pir, "review") == [
        ("review", "manager"),  # filed
        ("update", "manager"),  # action item 1
        ("update", "manager"),  # action item 2
        ("review", "manager"),  # completed
        ("update", "manager"),  # item 2 done by its owner, the incident manager
        ("update", "l2"),  # item 1 done by its owner
    ]
    assert changes_of(pir, "review")[3]["status"] == ["draft", "completed"]
    assert changes_of(pir, "review")[5] == {"action_items.1.status": ["open", "done"]}
    checked, broken = verify_chain()
    assert broken is None and checked >= 30, (checked, broken)

    assert desk.problems == [], "\n".join(desk.problems)
