"""Screenshots of the desk's main pages at desktop (1280×800) and phone (375×812) sizes.

    .venv/bin/python bench/screenshots.py [--out bench/screenshots] [--database-url URL]

Builds a throwaway SQLite database (or uses --database-url, which must be empty or
seeded by this script), loads the demo users and a realistic mix of incidents through the
services, serves the app in-process (static files included) and drives Debian's Chromium
with Playwright. Writes <page>-<size>.png (full page) and prints, for each shot, whether
anything is wider than the viewport (the elements that stick out are named).
"""

import argparse
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]

# Elements wider than the viewport, or sticking out of its right edge.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1) continue;
    if (el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1) continue;
    const cls = typeof el.className === 'string' && el.className.trim() ?
      '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls;
    out.push(name + ' right=' + Math.round(r.right));
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 8)};
}"""


def setup_django(database_url: str | None, workdir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ims.settings")
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{workdir / 'screens.sqlite3'}"
    os.environ["IMS_DATA_DIR"] = str(workdir)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load_data() -> dict[str, str]:
    """Demo users, services and incidents in every state; returns the references to show."""
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from catalog.models import Service, Vendor
    from incidents import services
    from incidents.models import Incident

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=StringIO())
    User = get_user_model()
    u = {name: User.objects.get(username=name) for name in ("manager", "analyst", "l1", "l2", "enduser")}
    svc = {s.name: s.reference for s in Service.objects.all()}
    vendor = Vendor.objects.order_by("reference").first().reference
    if Incident.objects.exists():
        return {
            "major": Incident.objects.filter(priority="P1").order_by("id").first().reference,
            "other": Incident.objects.exclude(reporter=u["enduser"]).order_by("id").last().reference,
        }

    def report(actor, title, impact, urgency, service, **extra):
        incident, _ = services.incident_create(
            actor=actor, title=title, impact=impact, urgency=urgency, affected_service=svc[service], **extra
        )
        return incident.reference

    major = report(
        u["analyst"],
        "VPN concentrator rejects all new sessions after the firmware update of the night",
        "high",
        "high",
        "VPN",
        category="network",
        description="Since 06:10 every VPN login fails with 'TLS handshake timeout'.\n"
        "Office users are not affected. Roughly 400 remote staff cannot work.",
        reporter="enduser",
    )
    services.incident_set_major_roles(incident=major, actor=u["manager"], incident_commander="manager")
    services.incident_assign(incident=major, actor=u["manager"], team="L2", assignee="l2")
    services.incident_diagnose(
        incident=major,
        actor=u["l2"],
        steps="Firmware 9.4.2 drops the legacy cipher suite; the client profile still requires it.",
        workaround="Use the backup concentrator vpn2.example.com (capacity 100 users).",
    )
    services.incident_communicate(
        incident=major,
        actor=u["manager"],
        recipients=["end_users", "stakeholders"],
        message="Remote access is down. Workaround: vpn2.example.com. Next update at 10:00.",
    )
    services.incident_engage_vendor(
        incident=major, actor=u["l2"], vendor=vendor, contact_method="phone", vendor_reference="CASE-778812"
    )
    services.incident_vendor_responded(incident=major, actor=u["l2"], note="Hotfix 9.4.2-1 available.")

    rows = [
        ("Outlook shows 'disconnected' for the whole finance team", "medium", "medium", "Email", None),
        (
            "Payroll export to the bank fails with error 0x80070005 (access denied)",
            "high",
            "medium",
            "Payroll",
            "L3",
        ),
        ("Wi-Fi in meeting room 4.12 drops every few minutes", "low", "medium", "Office Wi-Fi", "facilities"),
        ("HR portal slow", "medium", "low", "HR Portal", "L1"),
        ("Phishing e-mail 'Your mailbox is full' reported by several users", "medium", "high", "Email", None),
        ("Printer on floor 3 prints blank pages", "low", "low", "Office Wi-Fi", None),
    ]
    for n, (title, impact, urgency, service, team) in enumerate(rows * 3):
        ref = report(
            u["enduser"] if n % 2 else u["analyst"],
            title,
            impact,
            urgency,
            service,
            category="security" if "Phishing" in title else "software",
        )
        if team:
            services.incident_assign(incident=ref, actor=u["manager"], team=team)
        if n % 4 == 3 and team:
            services.incident_resolve(
                incident=ref, actor=u["manager"], resolution_summary="Restarted.", service_restored=True
            )
    other = report(User.objects.get(username="enduser2"), "Laptop battery swollen", "low", "low", "HR Portal")
    return {"major": major, "other": other}


def serve():
    """The WSGI app, static files included, on a free port in a thread."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    httpd = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=True)
    httpd.set_app(StaticFilesHandler(get_wsgi_application()))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "screenshots"))
    parser.add_argument("--database-url", help="default: a throwaway SQLite file")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="ims-screens-") as tmp:
        setup_django(args.database_url, Path(tmp))
        refs = load_data()
        from django.conf import settings

        settings.DEBUG = False  # the real 404 page, not the technical one
        httpd, base = serve()
        pages = [  # (name, user or None, path)
            ("login", None, "/login/"),
            ("workspace", "analyst", "/incidents/?queue=all"),
            ("incident", "manager", f"/incidents/{refs['major']}/"),
            ("report", "enduser", "/incidents/new/"),
            ("my-incidents", "enduser", "/my/"),
            ("not-found", "enduser", f"/incidents/{refs['other']}/"),
        ]
        problems = []
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for size, viewport in SIZES.items():
                contexts = {}
                for name, user, path in pages:
                    if user not in contexts:
                        context = browser.new_context(viewport=viewport, base_url=base)
                        page = context.new_page()
                        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
                        if user:
                            page.goto("/login/")
                            page.fill("#id_username", user)
                            page.fill("#id_password", f"{user}-demo")
                            page.click("button[type=submit]")
                            page.wait_for_load_state()
                        contexts[user] = page
                    page = contexts[user]
                    response = page.goto(path)
                    page.wait_for_load_state("networkidle")
                    file = out / f"{name}-{size}.png"
                    page.screenshot(path=str(file), full_page=True)
                    overflow = page.evaluate(OVERFLOW_JS)
                    wide = overflow["scrollWidth"] > overflow["width"]
                    verdict = (
                        f"OVERFLOW {overflow['scrollWidth']}px > {overflow['width']}px: "
                        if wide
                        else "fits; "
                    )
                    shown = file.relative_to(ROOT) if file.is_relative_to(ROOT) else file
                    print(f"{shown}: HTTP {response.status}, {verdict}" + ", ".join(overflow["out"]))
                for page in contexts.values():
                    page.context.close()
            browser.close()
        httpd.shutdown()
        from django.db import connections

        connections.close_all()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
