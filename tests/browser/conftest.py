"""Browser tests: Chromium driven by Playwright against the live server.

Every page a test visits is checked with axe-core (WCAG 2.1 A and AA rules), 1280 and 390 px
wide; a serious or critical violation fails the test, and so does a page visited but never
checked. Any request that would leave the server fails the test too.

Chromium comes from the system (`apt-get install chromium`). Without it the tests are
skipped on a developer's machine, and fail under CI=true.
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Every checked page is checked on a desktop and on a phone (RGAA: content readable at 320 CSS px).
VIEWPORT_WIDTHS = (1280, 390)
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium():
    candidates = [
        os.environ.get("PTI_CHROMIUM", ""),
        shutil.which("chromium") or "",
        shutil.which("chromium-browser") or "",
        shutil.which("google-chrome") or "",
    ]
    return next((path for path in candidates if path and Path(path).is_file()), None)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = find_chromium()
    if executable is None:
        message = (
            "Chromium est introuvable : installez-le (apt-get install chromium) "
            "ou définissez PTI_CHROMIUM."
        )
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "headless": True,
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "fr-FR",
        "timezone_id": "Europe/Paris",
        "viewport": {"width": 1280, "height": 900},
        "accept_downloads": True,
    }


class Accessibility:
    """Runs axe on the page as it is now and remembers which pages were checked."""

    def __init__(self, page):
        self.page = page
        self.visited = []
        self.checked = set()
        page.on("framenavigated", self._on_navigation)

    def _on_navigation(self, frame):
        if frame == self.page.main_frame:
            self.visited.append(urlsplit(frame.url).path)

    def check(self, *, name=None):
        """Runs axe on the page at the desktop width, then at a phone's width (390 px)."""
        page = self.page
        page.wait_for_load_state("domcontentloaded")
        path = urlsplit(page.url).path
        desktop = page.viewport_size
        try:
            for width in VIEWPORT_WIDTHS:
                page.set_viewport_size({"width": width, "height": desktop["height"]})
                self._run_axe(path, width)
                screenshot(page, name or path, width)
        finally:
            page.set_viewport_size(desktop)
        self.checked.add(path)

    def _run_axe(self, path, width):
        page = self.page
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE_SOURCE)
        violations = page.evaluate(
            """async (tags) => {
                const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))
                }));
            }""",
            WCAG_TAGS,
        )
        blocking = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not blocking, f"violations d'accessibilité sur {path} à {width} px : " + "; ".join(
            f"{v['id']} ({v['impact']}) {v['help']} -> {v['nodes']}" for v in blocking
        )

    def unchecked_pages(self):
        return sorted({path for path in self.visited if path not in self.checked})


def screenshot(page, name, width=None):
    """With PTI_SCREENSHOTS=<folder>, keep a picture of each checked page to look at."""
    folder = os.environ.get("PTI_SCREENSHOTS")
    if folder:
        slug = name.strip("/").replace("/", "_") or "accueil"
        if width is not None and width != VIEWPORT_WIDTHS[0]:
            slug = f"{slug}-{width}px"
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{slug}.png"), full_page=True)


@pytest.fixture
def a11y(page):
    checker = Accessibility(page)
    yield checker
    assert checker.unchecked_pages() == [], "pages visitées sans contrôle d'accessibilité"


@pytest.fixture
def page(page, live_server):
    """The Playwright page, refusing any request that does not go to the live server."""
    outside = []

    def only_our_server(route):
        url = route.request.url
        if url.startswith((live_server.url, "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", only_our_server)
    page.set_default_timeout(10_000)
    yield page
    assert outside == [], f"requêtes sorties du serveur : {outside}"


@pytest.fixture
def log_in(page, live_server, a11y):
    """Logs in through the real login form, checking the form's accessibility on the way."""

    def do_log_in(username, password):
        page.goto(f"{live_server.url}/connexion/")
        a11y.check(name="connexion")
        page.get_by_label("Identifiant").fill(username)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{live_server.url}/**")
        page.wait_for_load_state("domcontentloaded")
        a11y.check(name=f"apres-connexion-{username}")

    return do_log_in
