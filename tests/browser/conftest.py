"""Real-browser scenarios: Playwright driving Debian's Chromium (headless) against a live
server in token mode; the "agent" is the test calling /v1 with an API token. Skipped, with
the reason, only where /usr/bin/chromium is absent (`.ci/run` and `make test` install it)."""
import os

import pytest
import requests

from tests.builders import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


# module scope: sync Playwright runs an event loop in this thread while it is open, which
# would stop later tests (the fleet checks) from running their own asyncio loop.
@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent: apt-get install -y chromium (make test does)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    """Screenshots of each page, in the test run's temporary folder."""
    return tmp_path_factory.mktemp("screenshots")


class Agent:
    """What a freezer agent (or python-freezerclient) does: /v1 calls with an API token."""

    def __init__(self, url, token):
        self.url, self.headers = url, {"X-Auth-Token": token, "Accept": "application/json"}

    def call(self, method, path, body=None):
        r = requests.request(method, self.url + path, json=body, headers=self.headers, timeout=10)
        assert r.status_code < 300, (path, r.status_code, r.text)
        return r.json() if r.content else None

    def create(self, collection, body):
        return next(iter(self.call("POST", f"/v1/{collection}/", body).values()))


@pytest.fixture
def agent(live_token_server):
    url, token = live_token_server
    return Agent(url, token)


@pytest.fixture
def page(browser, live_token_server, screenshots, request):
    """A signed-in page (operator alice, through the real login form)."""
    url, _token = live_token_server
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10000)
    page = context.new_page()
    page.goto("/auth/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
    page.shot = lambda name: page.screenshot(
        path=str(screenshots / f"{request.node.name}-{name}.png"), full_page=True)
    yield page
    context.close()


#: collects every Content-Security-Policy violation from the first byte of each page (an init
#: script runs through the DevTools protocol, outside the page's CSP)
CSP_WATCH = """document.addEventListener('securitypolicyviolation', function (e) {
  (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI +
    ' line ' + e.lineNumber);
});"""


@pytest.fixture
def watched(page):
    """`page`, with page.violations(): the CSP violations seen so far (console and events)."""
    violations = []
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.context.add_init_script(CSP_WATCH)
    page.violations = lambda: violations + page.evaluate("window.__csp || []")
    return page
