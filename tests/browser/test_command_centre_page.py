"""The command-centre page in a real browser (Debian's Chromium, headless)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.support.client import ApiClient
from tests.support.photos import stored_photo
from tests.support.platform import Platform
from tests.support.school import PASSWORD, hazard, new_school, report

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_PRESENT = Path(CHROMIUM).exists()
# Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM_PRESENT:
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def logged_in_page(
    browser: Browser,
    platform: Platform,
    username: str,
    password: str | None = None,
    *,
    page: Page | None = None,
) -> Page:
    """Log in on the command-centre page (in `page` if given, else a new zh-CN page)."""
    page = page or await browser.new_page(locale="zh-CN")
    await page.goto(platform.url("command_centre") + "/")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password or username)
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#board")).to_be_visible()
    await expect(page.locator("#login")).to_be_hidden()
    return page


async def test_report_posted_with_curl_shows_on_the_page_within_two_seconds(
    browser: Browser, platform: Platform, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    page = await logged_in_page(browser, platform, "demo-admin")
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    description = f"楼梯扶手松动（{uuid.uuid4().hex[:6]}）"

    response = await teacher.post(
        "hazard_intake",
        "/v1/reports",
        {"point_id": "demo-point-fire-exit", "category": "facilities", "description": description},
    )
    assert response.status_code == 202

    # The operator sees it without touching the page: the row, its school and status.
    row = page.locator("tbody tr", has_text=description)
    await expect(row).to_be_visible(timeout=2_000)
    await expect(row).to_contain_text("城关镇第一小学")
    await expect(row).to_contain_text("已分派")
    await expect(row).to_contain_text("王芳")
    # The header names the person, not the login.
    await expect(page.locator("#who")).to_have_text("李建国")
    await page.screenshot(path=str(tmp_path / "board.png"), full_page=True)


async def test_page_switches_to_english_and_rejects_a_wrong_password(
    browser: Browser, platform: Platform
) -> None:
    page = await browser.new_page(locale="zh-CN")
    await page.goto(platform.url("command_centre") + "/")
    await page.get_by_label("用户名").fill("demo-admin")
    await page.get_by_label("密码").fill("wrong-password")
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#login-error")).to_have_text("用户名或密码错误")

    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Xiaoan · Command centre")).to_be_visible()
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("#login-error")).to_have_text("Wrong username or password")


async def test_the_head_verifies_with_the_before_and_after_photos_side_by_side(
    browser: Browser, platform: Platform, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    admin = await ApiClient.login(platform, http, "demo-admin")
    school = await new_school(admin)
    keeper = await school.login(admin, school.keeper)
    description = f"消防栓箱门脱落（{school.tag}）"
    before = await stored_photo(keeper, "finding")
    hazard_id = await report(keeper, school, description, photo_ids=[before])
    await hazard(admin, hazard_id, status="assigned")
    for body in (
        {"action": "accept"},
        {
            "action": "submit_rectification",
            "note": "已重新安装箱门",
            "photo_ids": [await stored_photo(keeper, "rectification")],
        },
    ):
        answer = await keeper.post("hazard_cases", f"/v1/hazards/{hazard_id}/actions", body)
        assert answer.status_code == 200, answer.text

    page = await logged_in_page(browser, platform, school.head, PASSWORD)
    await page.locator("tbody tr", has_text=description).click()
    detail = page.locator("#detail")
    await expect(detail).to_be_visible()
    await expect(detail.locator("#detail-title")).to_have_text(description)
    await expect(detail).to_contain_text("待验证")
    await expect(detail.locator("#rectification-note")).to_have_text("已重新安装箱门")
    # Both photos load, side by side: the finding on the left, the evidence on the right.
    for side in ("#photos-before img", "#photos-after img"):
        await expect(page.locator(side)).to_have_count(1)
        await expect(page.locator(side)).to_have_js_property("complete", True)
        assert await page.locator(side).evaluate("img => img.naturalWidth") > 0
    left = await page.locator("#photos-before").bounding_box()
    right = await page.locator("#photos-after").bounding_box()
    assert left is not None
    assert right is not None
    assert left["x"] < right["x"]
    assert abs(left["y"] - right["y"]) < 5
    await page.screenshot(path=str(tmp_path / "verify.png"), full_page=True)

    # Failing needs a reason; passing closes the hazard and says so in the timeline.
    await page.get_by_role("button", name="验证不通过，退回整改").click()
    await expect(page.locator("#verify-message")).to_have_text("请写明不通过的原因")
    await page.get_by_role("button", name="验证通过，销号").click()
    await expect(detail).to_contain_text("已销号")
    await expect(page.locator("#verify")).to_be_hidden()
    await expect(page.locator("#timeline li")).to_have_count(
        len((await hazard(admin, hazard_id, status="closed"))["timeline"])
    )
    await expect(page.locator("tbody tr", has_text=description)).to_contain_text("已销号")


async def test_the_figures_follow_new_reports_and_the_period_chosen(
    browser: Browser, platform: Platform, http: httpx.AsyncClient
) -> None:
    page = await logged_in_page(browser, platform, "demo-admin")
    tiles = page.locator("#figure-tiles .count")
    await expect(tiles.first).to_contain_text("隐患总数")
    await expect(page.locator("#area-rows tr").first).to_be_visible()
    before = int(await tiles.first.locator("b").inner_text())

    teacher = await ApiClient.login(platform, http, "demo-teacher")
    response = await teacher.post(
        "hazard_intake",
        "/v1/reports",
        {"point_id": "demo-point-fire-exit", "category": "fire", "description": "灭火器过期"},
    )
    assert response.status_code == 202
    # The figures refresh every few seconds; the case service sums them within a second.
    await expect(tiles.first.locator("b")).to_have_text(str(before + 1), timeout=20_000)
    await expect(tiles.nth(1)).to_contain_text("整改率")

    await page.get_by_role("button", name="近7天").click()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    week_ago = today - timedelta(days=6)
    await expect(page.locator("#figures-range")).to_have_text(f"{week_ago} — {today}")
    await page.get_by_role("button", name="English").click()
    await expect(tiles.first).to_contain_text("Hazards")


async def test_a_login_that_may_not_see_the_board_is_told_so_instead_of_retrying(
    browser: Browser, platform: Platform
) -> None:
    page = await browser.new_page(locale="zh-CN")
    await page.goto(platform.url("command_centre") + "/")
    await page.get_by_label("用户名").fill("demo-teacher")
    await page.get_by_label("密码").fill("demo-teacher")
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#forbidden")).to_have_text("无权限：您的账号不能查看指挥中心")
    await page.wait_for_timeout(3000)  # three refreshes' time: still no "connection lost"
    await expect(page.locator("#stale")).to_be_hidden()
    await expect(page.locator("#forbidden")).to_be_visible()
    await page.close()


async def test_rows_open_by_keyboard_in_china_time_and_english_names(
    browser: Browser, platform: Platform, http: httpx.AsyncClient
) -> None:
    # An operator's laptop left on New York time still reads China time.
    context = await browser.new_context(locale="zh-CN", timezone_id="America/New_York")
    page = await logged_in_page(browser, platform, "demo-admin", page=await context.new_page())
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    description = f"灭火器压力不足（{uuid.uuid4().hex[:6]}）"
    response = await teacher.post(
        "hazard_intake",
        "/v1/reports",
        {"point_id": "demo-point-fire-exit", "category": "fire", "description": description},
    )
    assert response.status_code == 202
    found = await hazard(
        await ApiClient.login(platform, http, "demo-admin"), response.json()["report_id"]
    )
    reported = datetime.fromisoformat(found["reported_at"]).astimezone(ZoneInfo("Asia/Shanghai"))

    row = page.locator("tbody tr", has_text=description)
    await expect(row).to_be_visible(timeout=5_000)
    shown = f"{reported.year}/{reported.month}/{reported.day} {reported:%H:%M:%S}"
    await expect(row.locator("td").first).to_have_text(shown)
    await page.get_by_role("button", name="English").click()
    await expect(row.locator("td").nth(3)).to_have_text("Fire safety")  # not the code "fire"

    await row.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#detail-title")).to_have_text(description)
    await expect(page.locator("#detail-facts")).to_contain_text("Fire safety")
    await context.close()
