"""In a real browser: a customer pays online, and an import's progress bar moves
without the page being reloaded."""

import pytest

from orders.models import Order, OrderStatus
from tests.browser.conftest import sign_in
from tests.browser.test_back_office import demo, shot  # noqa: F401

S = OrderStatus


@pytest.mark.django_db(transaction=True)
def test_a_customer_pays_now_on_the_providers_page_and_comes_back(
    demo,  # noqa: F811
    live_server,
    page,
):
    order = Order.objects.filter(status=S.ALLOCATED).first()
    page.goto(f"{live_server.url}/track/{order.tracking_token}/")
    page.get_by_role("button", name="Pay now").click()
    page.wait_for_url(f"{live_server.url}/pay/test/**")
    gateway = page.url
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_role("button", name="Pay").click()
    assert "declined" in page.locator("form").inner_text()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(f"{live_server.url}/track/{order.tracking_token}/")
    assert "paid" in page.locator(".alert-success").inner_text()
    assert page.locator("[data-pay-now]").count() == 0
    shot(page, "pay-01-paid")
    page.goto(gateway)  # the provider's page again (a bookmark, the history)
    assert "already" in page.locator(".alert").first.inner_text()
    order.refresh_from_db()
    assert order.status == S.PAID
    assert order.payments.filter(status="captured").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_import_progress_bar_moves_without_reloading(
    demo,  # noqa: F811
    live_server,
    page,
):
    from django.contrib.auth import get_user_model

    from orders.intake.models import ImportJob

    clerk = get_user_model().objects.get(username="clerk")
    job = ImportJob.objects.create(
        uploaded_by=clerk, filename="big.csv", content="", status="running", total=200
    )
    sign_in(page, live_server, "clerk")
    page.goto(f"{live_server.url}/staff/import/{job.pk}/")
    page.evaluate("window.__same_page = true")  # gone if the page reloads
    ImportJob.objects.filter(pk=job.pk).update(done=100, created=99, failed=1)
    page.wait_for_function(
        "document.querySelector('[data-n=percent]').textContent === '50'"
    )
    assert page.evaluate("window.__same_page") is True
    bar = page.locator("[role=progressbar]")
    assert bar.get_attribute("aria-valuenow") == "50"
    assert page.locator("[data-n=created]").inner_text() == "99"
    ImportJob.objects.filter(pk=job.pk).update(done=200, created=199, status="done")
    page.wait_for_function(
        "document.querySelector('[data-status-label]').textContent === 'Done'"
    )
    shot(page, "import-01-done")
