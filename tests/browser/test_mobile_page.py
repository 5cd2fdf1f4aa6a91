"""The teachers' phone page (served by intake at /m/ and /q/<token>) in a real browser.

A 360 px phone in headless Chromium: scan-link, log in, pick, photograph, write, send; and the
same while intake is down or the phone is offline, where the report must wait on the phone and
arrive exactly once.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from pymongo import AsyncMongoClient

from tests.browser.test_command_centre_page import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_PRESENT
from tests.support.client import ApiClient
from tests.support.platform import Platform, running_platform
from tests.support.waiting import wait_until

POINT = "demo-point-fire-exit"
POINT_NAME = "教学楼三楼东侧消防通道"
SCHOOL = "城关镇第一小学"


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


@pytest.fixture(scope="module")
def own_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform of this module's own: its intake is stopped, which the shared one must not be."""
    with running_platform(tmp_path_factory.mktemp("mobile-platform")) as running:
        yield running


async def phone(browser: Browser) -> tuple[BrowserContext, Page, list[str]]:
    """Open a page on a small Android phone; the list collects the page's script errors."""
    context = await browser.new_context(
        locale="zh-CN",
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


async def fits_the_screen(page: Page) -> bool:
    """Tell whether nothing sticks out sideways (no horizontal scrolling at 360 px)."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    return bool(width <= 360)


async def issue_qr(platform: Platform, http: httpx.AsyncClient) -> dict[str, Any]:
    """Issue (or fetch) the fire exit's QR code as the county operator."""
    admin = await ApiClient.login(platform, http, "demo-admin")
    response = await admin.post("grid_registry", f"/v1/risk-points/{POINT}/qr")
    assert response.status_code == 200, response.text
    qr: dict[str, Any] = response.json()
    return qr


async def log_in(page: Page, username: str) -> None:
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(username)
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#report")).to_be_visible()


async def write_and_send(page: Page, category: str, description: str) -> None:
    await page.get_by_label(category, exact=True).check()
    await page.get_by_label("隐患描述").fill(description)
    await page.get_by_role("button", name="发送").click()


async def hazards_described(teacher: ApiClient, description: str) -> list[dict[str, Any]]:
    """Return the hazards the teacher sees with this exact description."""
    response = await teacher.get("hazard_cases", "/v1/hazards", limit=200)
    assert response.status_code == 200, response.text
    return [h for h in response.json()["items"] if h["description"] == description]


async def worker_sync(
    context: BrowserContext, page: Page, origin: str
) -> Callable[[], Awaitable[None]]:
    """Return a call that makes the browser fire the page's Background Sync now (through
    DevTools, instead of after the browser's own back-off), once the worker is registered."""
    cdp = await context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    await cdp.send("ServiceWorker.enable")

    async def registered() -> str | None:
        ours = [r for r in registrations if r["scopeURL"] == origin + "/" and not r["isDeleted"]]
        return str(ours[-1]["registrationId"]) if ours else None

    registration_id = await wait_until(registered, timeout=10, what="the worker's registration")

    async def fire() -> None:
        event = {"origin": origin, "registrationId": registration_id, "tag": "xiaoan-outbox"}
        await cdp.send("ServiceWorker.dispatchSyncEvent", {**event, "lastChance": False})

    return fire


def a_photo(path: Path) -> Path:
    """Write a phone-sized photo (3000 x 2000 PNG) to send."""
    Image.new("RGB", (3000, 2000), (200, 60, 40)).save(path)
    return path


async def test_scanned_code_opens_the_page_and_the_report_becomes_a_hazard(
    browser: Browser, platform: Platform, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    qr = await issue_qr(platform, http)
    # The printed code encodes intake's /q/<token>: the phone's camera app opens this page.
    assert qr["url"] == f"{platform.url('hazard_intake')}/q/{qr['token']}"
    context, page, errors = await phone(browser)
    await page.goto(qr["url"])
    await log_in(page, "demo-teacher")

    # The code is resolved through the registry: the point, its school, who answers, the checks.
    await expect(page.locator("#point-name")).to_have_text(POINT_NAME)
    await expect(page.locator("#point-where")).to_contain_text(SCHOOL)
    await expect(page.locator("#point-responsible")).to_contain_text("王芳")
    await page.get_by_text("检查清单").click()
    await page.get_by_role("button", name="灭火器是否在有效期内").click()
    await expect(page.get_by_label("隐患描述")).to_have_value("灭火器是否在有效期内")

    await page.locator("#photo-input").set_input_files(str(a_photo(tmp_path / "photo.png")))
    await expect(page.locator("#photos img")).to_have_count(1)
    assert await fits_the_screen(page)
    description = f"三楼灭火器已过期，通道堆放纸箱（{uuid.uuid4().hex[:6]}）"
    await write_and_send(page, "消防安全", description)

    await expect(page.locator("#form-status")).to_have_text(
        "已发送，责任人会收到通知。", timeout=20_000
    )
    await expect(page.locator("#outbox-box")).to_be_hidden()
    await expect(page.locator("#sent")).to_contain_text(description)
    await page.screenshot(path=str(tmp_path / "mobile-sent.png"), full_page=True)

    teacher = await ApiClient.login(platform, http, "demo-teacher")
    found = await wait_until(
        lambda: hazards_described(teacher, description), timeout=60, what="the hazard"
    )
    assert len(found) == 1
    hazard = found[0]
    assert hazard["point_id"] == POINT
    assert hazard["category"] == "fire"
    assert hazard["school_name"] == SCHOOL
    assert hazard["reporter"]["name"] == "王芳"
    # The photo went through media storage, scaled down to a JPEG on the phone.
    assert len(hazard["photo_ids"]) == 1
    media = await teacher.get("media_storage", f"/v1/media/{hazard['photo_ids'][0]}")
    assert media.status_code == 200, media.text
    assert media.json()["status"] == "stored"
    assert media.json()["content_type"] == "image/jpeg"
    assert media.json()["size_bytes"] < 1_000_000
    assert errors == []
    await context.close()


async def test_report_written_while_intake_is_down_arrives_once_it_is_back(
    browser: Browser, own_platform: Platform, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    qr = await issue_qr(own_platform, http)
    context, page, errors = await phone(browser)
    await page.goto(qr["url"])
    await log_in(page, "demo-teacher")
    await expect(page.locator("#point-name")).to_have_text(POINT_NAME)

    intake = own_platform.services["hazard_intake"]
    intake.stop()
    with pytest.raises(httpx.ConnectError):
        await http.get(f"{intake.url}/healthz")
    description = f"二楼楼梯扶手松动（停服期间 {uuid.uuid4().hex[:6]}）"
    await write_and_send(page, "设施设备", description)

    # Kept on the phone and listed as waiting, with why.
    await expect(page.locator("#form-status")).to_have_text(
        "已保存在手机上，联网后自动发送。", timeout=20_000
    )
    waiting = page.locator("#outbox li", has_text=description)
    await expect(page.locator("#outbox-title")).to_have_text("待发送 (1)")
    await expect(waiting).to_contain_text("等待网络，稍后自动重试")
    await expect(waiting).to_contain_text(POINT_NAME)
    await page.screenshot(path=str(tmp_path / "mobile-waiting.png"), full_page=True)

    teacher = await ApiClient.login(own_platform, http, "demo-teacher")
    assert await hazards_described(teacher, description) == []

    # Intake comes back: the page's retry timer sends it, nobody touches the phone.
    await own_platform.restart("hazard_intake")
    await expect(page.locator("#outbox-box")).to_be_hidden(timeout=60_000)
    await expect(page.locator("#sent")).to_contain_text(description)
    found = await wait_until(
        lambda: hazards_described(teacher, description), timeout=60, what="the hazard"
    )
    assert len(found) == 1
    assert found[0]["category"] == "facilities"
    assert found[0]["point_id"] == POINT
    assert errors == []
    await context.close()


async def test_page_opens_offline_keeps_the_report_and_sends_it_when_back_online(
    browser: Browser, platform: Platform, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    qr = await issue_qr(platform, http)
    context, page, errors = await phone(browser)
    await page.goto(platform.url("hazard_intake") + "/m/")
    # Installable: a manifest with icons, a service worker controlling the page.
    await page.evaluate("navigator.serviceWorker.ready")
    cdp = await context.new_cdp_session(page)
    answer = await cdp.send("Page.getInstallabilityErrors")
    # Playwright's contexts are incognito, which alone blocks installing; nothing else may.
    problems = [e["errorId"] for e in answer["installabilityErrors"]]
    assert [p for p in problems if p != "in-incognito"] == []
    await cdp.detach()  # an attached session stops the offline emulation surviving a reload
    await log_in(page, "demo-teacher")

    # The teacher types the code (a link or the token itself) instead of scanning.
    await page.get_by_label("或输入二维码编码 / 链接").fill(qr["token"])
    await page.get_by_role("button", name="确定").click()
    await expect(page.locator("#point-name")).to_have_text(POINT_NAME)

    await context.set_offline(True)
    await expect(page.locator("#network")).to_be_visible()
    description = f"食堂后门消防通道被电动车堵住（离线 {uuid.uuid4().hex[:6]}）"
    await write_and_send(page, "消防安全", description)
    await expect(page.locator("#form-status")).to_have_text("已保存在手机上，联网后自动发送。")

    # Closed and reopened with no network: the page opens and the report is still there.
    await page.reload()
    await expect(page.locator("#report")).to_be_visible()
    await expect(page.locator("#network")).to_be_visible()
    await expect(page.locator("#outbox li", has_text=description)).to_be_visible()
    # The point chosen before stays chosen, named from what the phone remembers.
    await expect(page.locator("#point-name")).to_have_text(POINT_NAME)
    await page.screenshot(path=str(tmp_path / "mobile-offline.png"), full_page=True)

    # English on request, with the categories from intake's config.
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Xiaoan · Report a hazard")).to_be_visible()
    await expect(page.get_by_label("Fire safety", exact=True)).to_be_visible()
    await expect(page.locator("#outbox-title")).to_have_text("Waiting to send (1)")
    assert await fits_the_screen(page)

    await context.set_offline(False)
    await expect(page.locator("#outbox-box")).to_be_hidden(timeout=30_000)
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    found = await wait_until(
        lambda: hazards_described(teacher, description), timeout=60, what="the hazard"
    )
    assert len(found) == 1
    assert errors == []
    await context.close()


async def test_a_report_left_waiting_is_sent_by_the_worker_after_the_page_is_closed(
    browser: Browser, own_platform: Platform, http: httpx.AsyncClient
) -> None:
    qr = await issue_qr(own_platform, http)
    context, page, errors = await phone(browser)
    await page.goto(qr["url"])
    await page.evaluate("navigator.serviceWorker.ready")
    await log_in(page, "demo-teacher")
    await expect(page.locator("#point-name")).to_have_text(POINT_NAME)

    intake = own_platform.services["hazard_intake"]
    intake.stop()
    description = f"操场围栏破损（关闭页面后发送 {uuid.uuid4().hex[:6]}）"
    await write_and_send(page, "设施设备", description)
    await expect(page.locator("#form-status")).to_have_text(
        "已保存在手机上，联网后自动发送。", timeout=20_000
    )
    # The page asked the browser to wake its worker when the network allows, then is closed.
    tags = await page.evaluate("navigator.serviceWorker.ready.then((r) => r.sync.getTags())")
    assert "xiaoan-outbox" in tags
    await page.close()

    await own_platform.restart("hazard_intake")
    teacher = await ApiClient.login(own_platform, http, "demo-teacher")
    assert await hazards_described(teacher, description) == []

    # No page of the school's is open; the browser fires the sync (here on request, through
    # DevTools, instead of after its own back-off), and the worker sends the report.
    blank = await context.new_page()
    fire_sync = await worker_sync(context, blank, own_platform.url("hazard_intake"))
    await fire_sync()
    found = await wait_until(
        lambda: hazards_described(teacher, description), timeout=60, what="the hazard"
    )
    assert len(found) == 1
    assert found[0]["point_id"] == POINT

    # Opened again, the page lists it as sent, no longer waiting.
    again = await context.new_page()
    await again.goto(qr["url"])
    await expect(again.locator("#sent")).to_contain_text(description)
    await expect(again.locator("#outbox-box")).to_be_hidden()
    assert errors == []
    await context.close()


async def test_an_offline_report_with_two_photos_arrives_once_with_two_photos_stored(
    browser: Browser, own_platform: Platform, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    """On reconnection the page and its service worker both send what waits on the phone;
    between them, one report and its two photos are stored, each once."""
    qr = await issue_qr(own_platform, http)
    context, page, errors = await phone(browser)
    await page.goto(qr["url"])
    await page.evaluate("navigator.serviceWorker.ready")
    await log_in(page, "demo-teacher")
    await expect(page.locator("#point-name")).to_have_text(POINT_NAME)
    media = AsyncMongoClient[dict[str, Any]](own_platform.infra.mongo_url)
    stored = media[own_platform.database("media_storage")]["media"]
    before = await stored.count_documents({})

    await context.set_offline(True)
    for n in (1, 2):
        Image.new("RGB", (1600, 1200), (40 * n, 90, 160)).save(tmp_path / f"p{n}.png")
    await page.locator("#photo-input").set_input_files(
        [str(tmp_path / "p1.png"), str(tmp_path / "p2.png")]
    )
    await expect(page.locator("#photos img")).to_have_count(2)
    description = f"走廊灭火器压力不足（两张照片 {uuid.uuid4().hex[:6]}）"
    await write_and_send(page, "消防安全", description)
    await expect(page.locator("#form-status")).to_have_text("已保存在手机上，联网后自动发送。")

    # Back online: the page sends, and the browser wakes the worker to send at the same time.
    fire_sync = await worker_sync(context, page, own_platform.url("hazard_intake"))
    await context.set_offline(False)
    await fire_sync()
    await expect(page.locator("#outbox-box")).to_be_hidden(timeout=30_000)
    await expect(page.locator("#sent")).to_contain_text(description)

    teacher = await ApiClient.login(own_platform, http, "demo-teacher")
    found = await wait_until(
        lambda: hazards_described(teacher, description), timeout=60, what="the hazard"
    )
    assert len(found) == 1
    assert len(found[0]["photo_ids"]) == 2
    assert await stored.count_documents({}) - before == 2  # no orphan photos either
    await media.close()
    assert errors == []
    await context.close()
