"""A thin layer over Playwright for the desk's browser tests: sign in, and watch every page
for console errors, uncaught exceptions, failed requests and error responses."""

import re
from dataclasses import dataclass, field

from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, Response

# Chromium logs this for any 4xx/5xx document or resource; tolerated only where that status
# is the point of the navigation (Desk.expect_not_found, Desk.expect_refused).
ERROR_CONSOLE = "Failed to load resource: the server responded with a status of {status}"


@dataclass
class Desk:
    """Browser contexts (one per signed-in person) against one live server."""

    new_context: object  # pytest-playwright's new_context fixture
    base_url: str
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    expected_errors: dict[str, int] = field(default_factory=dict)  # URL -> status

    def sign_in(self, username: str, viewport: dict, password: str | None = None) -> Page:
        context: BrowserContext = self.new_context(viewport=viewport, base_url=self.base_url)
        self._watch(context, username)
        page = context.new_page()
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password or f"{username}-demo")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/(incidents|my)/$"))
        return page

    def expect_not_found(self, path: str) -> None:
        self.expected_errors[self.base_url + path] = 404

    def expect_refused(self, path: str) -> None:
        self.expected_errors[self.base_url + path] = 403

    def _watch(self, context: BrowserContext, who: str) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type not in ("error", "warning"):
                return
            url = message.location.get("url", "")
            expected = self.expected_errors.get(url)
            if expected and message.text.startswith(ERROR_CONSOLE.format(status=expected)):
                return
            self.problems.append(f"[{who}] console {message.type}: {message.text} ({url})")

        def on_page(page: Page) -> None:
            page.on("pageerror", lambda error: self.problems.append(f"[{who}] page error: {error}"))
            page.on(
                "framenavigated",
                lambda frame: self.visited.append(frame.url) if frame == page.main_frame else None,
            )

        def on_failed(request: Request) -> None:
            self.problems.append(f"[{who}] request failed: {request.method} {request.url} {request.failure}")

        def on_response(response: Response) -> None:
            if response.status >= 400 and self.expected_errors.get(response.url) != response.status:
                self.problems.append(
                    f"[{who}] HTTP {response.status}: {response.request.method} {response.url}"
                )

        context.on("console", on_console)
        context.on("page", on_page)
        context.on("requestfailed", on_failed)
        context.on("response", on_response)


def act(page: Page, operation: str, fields: dict[str, str], *, button: str) -> None:
    """Open the operation's panel (``#act-<operation>``, operations/_actions.html), fill it
    and submit it."""
    panel = page.locator(f"#act-{operation}")
    if not panel.evaluate("e => e.open"):  # a link to #act-<operation> opens it already
        panel.locator("summary").click()
    fill(panel, fields)
    with page.expect_navigation():
        panel.get_by_role("button", name=button, exact=True).click()


def fill(scope, fields: dict[str, str]) -> None:
    """Fill the controls named in ``fields`` inside ``scope`` (by name: several panels of
    one page may share a field's label)."""
    for name, value in fields.items():
        control = scope.locator(f"[name={name}]")
        tag = control.evaluate("e => e.tagName + ':' + (e.type || '')")
        if tag.startswith("SELECT"):
            control.select_option(value)
        elif tag.endswith(":checkbox"):
            control.check()
        else:
            control.fill(value)


def status_of(page: Page):
    """The record's status badge in its page's header."""
    return page.get_by_test_id("status")


def no_horizontal_overflow(page: Page) -> bool:
    """True when nothing makes the page wider than the viewport (no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
