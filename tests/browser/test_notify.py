"""Alerts in a real browser: create a webhook channel, send it a test, find it in the
delivery log (a real HTTP receiver checks the signature)."""
import pytest
from playwright.sync_api import expect

from tests.notify.conftest import SECRET, Receiver


@pytest.fixture
def live_config():
    return {"NOTIFY_ALLOW_PRIVATE": True}   # the receiver listens on loopback


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_create_a_webhook_channel_send_a_test_and_see_it_in_the_log(page, receiver):
    page.goto("/")
    page.click("nav.top >> text=Alerts")
    page.click("text=Channels")
    page.click("text=New channel")
    page.fill("#name", "ops webhook")
    page.select_option("#kind", "webhook")
    page.fill("#url", receiver.url)
    page.fill("#secret", SECRET)
    page.click("button[name=save]")
    row = page.locator("#channels-table tr", has_text="ops webhook")
    expect(row).to_contain_text("/hook")
    page.shot("channels")
    page.once("dialog", lambda dialog: dialog.accept())   # "Send a test notice to ...?"
    row.locator("text=Send test").click()
    page.wait_for_url("**/notify/log")
    entry = page.locator("#log-table tbody tr").first
    expect(entry).to_contain_text("Test notice from Freezer")
    expect(entry).to_contain_text("ops webhook")
    expect(entry).to_have_attribute("data-status", "sent")
    expect(page.locator(".flash")).to_contain_text("Test notice sent to ops webhook")
    page.shot("delivery-log")
    assert receiver.bad_signatures == 0 and len(receiver.deliveries) == 1
    assert receiver.deliveries[0]["payload"]["type"] == "test"
