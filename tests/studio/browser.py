"""The annotator's hands: Playwright driving Debian's Chromium against a real Label Studio.

Selectors were read off Label Studio 1.23.2's labeling UI (see shared notes). Every helper
acts like a person would: clicks, key presses and real mouse drags, no API shortcuts.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, sync_playwright

CHROMIUM = os.environ.get("ANNOTATE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(
    os.environ.get(
        "ANNOTATE_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"
    )
)
TIMEOUT_MS = 60_000


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def recorded_page(browser: Browser, name: str) -> Iterator[Page]:
    """A page whose screenshot and console log are saved as artifacts when the block fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
    try:
        yield page
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"), full_page=True)
        (ARTIFACTS / f"{name}-console.log").write_text("\n".join(console), encoding="utf-8")
        raise
    finally:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    """Keep a picture of what the annotator sees, to look at after the run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def login(page: Page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/user/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/user/login).*$"))


def sign_up(page: Page, invite_url: str, email: str, password: str) -> None:
    """Create an account through the organisation's invite link, as an invited annotator does."""
    page.goto(invite_url)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/user/signup).*$"))


def invite_url(url: str, admin_token: str) -> str:
    """The organisation's invite link (open sign-up is closed; an invite still works)."""
    request = urllib.request.Request(
        f"{url}/api/invite", headers={"Authorization": f"Token {admin_token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    return f"{url}{body['invite_url']}"


def read_instructions(page: Page) -> Locator:
    """The instructions modal Label Studio opens before the first task; returns it, still open."""
    modal = page.locator(".lsf-modal-ls_visible")
    modal.wait_for()
    return modal


def close_instructions(page: Page) -> None:
    page.locator(".lsf-modal-ls_visible").get_by_role("button", name="Close modal").click()
    page.wait_for_timeout(300)


def open_task(page: Page, url: str, project_id: int, task_id: int) -> None:
    page.goto(f"{url}/projects/{project_id}/data?task={task_id}")
    page.wait_for_selector(".lsf-richtext")
    page.wait_for_selector(".htx-highlight")
    page.wait_for_timeout(500)  # the editor attaches its handlers after the first paint


def regions(page: Page) -> Locator:
    return page.locator(".lsf-richtext .htx-highlight")


def region(page: Page, text: str) -> Locator:
    return page.locator(
        ".lsf-richtext .htx-highlight", has_text=re.compile(rf"^{re.escape(text)}$")
    )


def label_button(page: Page, label: str) -> Locator:
    return page.locator(
        ".lsf-labels .lsf-label",
        has=page.locator(".lsf-label__text", has_text=re.compile(rf"^{re.escape(label)}$")),
    )


def select_region(page: Page, text: str) -> None:
    region(page, text).first.click()
    page.wait_for_timeout(200)


def relabel(page: Page, text: str, label: str) -> None:
    """Click a region, then the new label: Label Studio swaps the selected region's label."""
    select_region(page, text)
    label_button(page, label).first.click()
    page.keyboard.press("Escape")
    page.wait_for_timeout(200)


def delete_region(page: Page, text: str) -> None:
    select_region(page, text)
    page.keyboard.press("Backspace")
    page.wait_for_timeout(200)


def drag_over(page: Page, text: str, label: str) -> None:
    """Choose a label, then draw a new span by dragging the mouse across the words."""
    label_button(page, label).first.click()
    box = page.evaluate(
        """(needle) => {
            const root = document.querySelector('.lsf-richtext');
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.textContent.indexOf(needle);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + needle.length);
                const r = range.getBoundingClientRect();
                return {x: r.left, y: r.top, w: r.width, h: r.height};
            }
            return null;
        }""",
        text,
    )
    assert box, f"{text!r} is not in the task text"
    y = box["y"] + box["h"] / 2
    page.mouse.move(box["x"] + 1, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["w"] / 2, y, steps=5)
    page.mouse.move(box["x"] + box["w"] - 1, y, steps=5)
    page.mouse.up()
    page.wait_for_timeout(300)
    page.keyboard.press("Escape")


def relations_tab(page: Page) -> Locator:
    page.locator("#Relations-draggable").get_by_text("Relations").first.click()
    return page.locator(".lsf-relations__item")


def set_relation_label(page: Page, item: Locator, old: str, new: str) -> None:
    """Open the relation's label picker, untick the old stance, tick the new one."""
    item.hover()
    item.get_by_role("button", name="Show Relation Labels").click()
    page.locator(".lsf-relation-meta [data-testid^=select-trigger]").first.click()
    page.locator(f"[data-testid=select-option-{old}]").click()
    page.locator(f"[data-testid=select-option-{new}]").click()
    page.keyboard.press("Escape")
    page.wait_for_timeout(200)


def submit(page: Page) -> None:
    button = page.locator(
        "[data-testid=bottombar-submit-button], [data-testid=bottombar-update-button]"
    ).first
    with page.expect_response(
        lambda r: "/annotations" in r.url and r.request.method in ("POST", "PATCH")
    ) as response:
        button.click()
    assert response.value.ok, f"Label Studio refused the annotation: {response.value.status}"
