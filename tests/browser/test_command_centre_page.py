"""The command-centre page in a real browser (Debian's Chromium, headless)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.support.client import ApiClient
from tests.support.platform import Platform

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


async def logged_in_page(browser: Browser, platform: Platform, username: str) -> Page:
    page = await browser.new_page(locale="zh-CN")
    await page.goto(platform.url("command_centre") + "/")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(username)
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
