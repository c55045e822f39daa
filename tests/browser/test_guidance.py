"""The back office leads a new clerk: one next step, rare moves apart, cancel
confirmed after showing what it does; the list and navigation fit their screens."""

import pytest

from orders.models import Order, OrderStatus
from tests.browser.conftest import accessibility_problems, sign_in
from tests.browser.test_back_office import demo, open_order, shot  # noqa: F401

S = OrderStatus


@pytest.mark.django_db(transaction=True)
def test_next_step_first_and_cancel_shows_what_it_does_before_confirming(
    demo,  # noqa: F811
    live_server,
    page,
):
    order = Order.objects.filter(status=S.PAID).first()
    sign_in(page, live_server, "clerk")
    open_order(page, live_server, order.number)
    step = page.locator("[data-next-step]")
    # the clerk does not pick: the page says who does, and since when
    assert "Waiting for the warehouse to start picking" in step.inner_text()
    assert " ago" in step.inner_text()
    assert page.locator('[data-badge="payment"]').inner_text() == "Paid"
    # cancel is folded away under More actions, its reason asked only when opened
    reason = page.locator("#id_cancel-reason")
    assert not reason.is_visible()
    page.get_by_text("More actions").click()
    page.locator('[data-move="cancel"] > summary').click()
    effects = page.locator("[data-cancel-effects]").inner_text()
    assert "refund" in effects and "back to" in effects
    reason.fill("Customer changed their mind")
    page.get_by_role("button", name="Cancel order").click()
    # the browser asks for the tick before anything is sent
    assert Order.objects.get(pk=order.pk).status == S.PAID
    page.get_by_label("Yes, cancel this order").check()
    page.get_by_role("button", name="Cancel order").click()
    page.wait_for_selector(".alert-success")
    assert (
        page.locator(".alert-success")
        .inner_text()
        .startswith(f"{order.number}: Cancelled")
    )
    assert Order.objects.get(pk=order.pk).status == S.CANCELLED
    shot(page, "guide-01-cancelled")


@pytest.mark.django_db(transaction=True)
def test_the_next_step_box_for_each_role_and_state_names_who_is_next(
    demo,  # noqa: F811
    live_server,
    page,
):
    from orders.permissions import Role
    from tests.orders.test_next_step import STEPS

    def order_in(state):
        if state == "checked":  # placed, first check done by someone else
            return (
                Order.objects.filter(status=S.PLACED, first_checked_by__isnull=False)
                .exclude(first_checked_by__username="verifier")
                .first()
            )
        if state == "placed":
            return Order.objects.filter(
                status=S.PLACED, first_checked_by__isnull=True
            ).first()
        return Order.objects.filter(status=state).first()

    orders = {state: order_in(state) for state, *_ in STEPS}
    assert all(orders.values()), orders
    for role in (Role.CLERK, Role.VERIFIER, Role.WAREHOUSE, Role.RETURNS):
        page.context.clear_cookies()
        sign_in(page, live_server, role)
        for state, taker, button, waiting in STEPS:
            open_order(page, live_server, orders[state].number)
            step = page.locator("[data-next-step]")
            text = step.inner_text()
            primary = step.locator(".btn-primary")
            # the step's own role gets the button; returns staff (who may only
            # complete) and the warehouse on a delivered order are told who is
            # next; any other role gets one or the other, never neither
            if role == taker:
                assert primary.count() == 1, (role, state, text)
            elif role == (Role.WAREHOUSE if state == S.DELIVERED else Role.RETURNS):
                assert primary.count() == 0, (role, state, text)
            if primary.count():
                assert primary.count() == 1 and button in primary.inner_text()
            else:
                assert waiting in text and " ago" in text, (role, state, text)


LISTED = r"""() => {
    const caption = document.querySelector("main table caption");
    const said = caption && caption.innerText.match(/^(\d+) (order|item|row)/);
    if (said) return Number(said[1]);
    const items = document.querySelectorAll("main [data-listed]");
    if (items.length) return items.length;  // one card per order (backorders)
    return document.querySelectorAll("main table tbody tr:not([data-empty])").length;
}"""


@pytest.mark.django_db(transaction=True)
def test_every_dashboard_card_opens_as_many_as_it_counts(
    demo,  # noqa: F811
    live_server,
    page,
):
    sign_in(page, live_server, "manager")
    cards = page.locator("main a.card:has([data-card-count])")
    found = [
        (
            cards.nth(i).get_attribute("href"),
            int(cards.nth(i).locator("[data-card-count]").inner_text()),
        )
        for i in range(cards.count())
    ]
    assert len(found) >= 14, found
    wrong = []
    for href, count in found:
        page.goto(live_server.url + href)
        if page.evaluate(LISTED) != count:
            wrong.append((href, count, page.evaluate(LISTED)))
    assert wrong == []


@pytest.mark.django_db(transaction=True)
def test_navigation_fits_one_line_and_the_list_fits_a_tablet(
    demo,  # noqa: F811
    live_server,
    browser,
):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server, "manager")
    tops = page.evaluate(
        "[...document.querySelectorAll('#staffnav > ul > li')].map(li => li.getBoundingClientRect().top)"
    )
    assert len(tops) >= 6 and len(set(tops)) == 1, tops
    # the inventory pages are one menu
    page.get_by_role("button", name="Inventory").click()
    page.get_by_role("link", name="Inventory health").click()
    page.wait_for_url(f"{live_server.url}/staff/inventory/health/")
    context.close()

    context = browser.new_context(viewport={"width": 768, "height": 1024})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/staff/orders/")
    for cell in ("status", "total"):
        right = page.evaluate(
            f"document.querySelector('[data-cell={cell}]').getBoundingClientRect().right"
        )
        assert right <= 768, f"the {cell} column is off screen at 768 px ({right})"
    assert accessibility_problems(page) == []
    shot(page, "guide-02-list-768")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_long_unbroken_text_never_pushes_a_page_sideways(
    demo,  # noqa: F811
    live_server,
    browser,
):
    from orders.core import services
    from orders.customer import services as customer
    from orders.models import Customer

    order = Order.objects.filter(status=S.SHIPPED).first()
    Customer.objects.filter(pk=order.customer_id).update(
        name="N" * 200, shipping_address="Street" * 80 + "\n10115 " + "B" * 200
    )
    Order.objects.filter(pk=order.pk).update(shipping_address="A" * 500)
    from django.contrib.auth import get_user_model

    clerk = get_user_model().objects.get(username="clerk")
    services.order_add_note(order=order, actor=clerk, body="x" * 10_000)
    customer.message_from_customer(order=order, body="y" * 3_999)
    for width in (1366, 768):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, live_server, "manager")
        for path in (
            f"/staff/orders/{order.number}/",
            f"/staff/orders/?q={order.number}",
            f"/track/{order.tracking_token}/",
        ):
            page.goto(live_server.url + path)
            overflow = page.evaluate(
                "document.scrollingElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"{path} is {overflow}px too wide at {width}"
        context.close()


@pytest.mark.django_db(transaction=True)
def test_a_phone_order_for_a_known_customer_found_by_part_of_the_email(
    demo,  # noqa: F811
    live_server,
    page,
):
    from inventory.models import Product
    from orders.models import Customer

    known = Customer.objects.exclude(email="").order_by("pk").first()
    part = known.email.split("@")[0][:6]
    skus = list(Product.objects.filter(active=True).values_list("sku", flat=True)[:3])
    sign_in(page, live_server, "clerk")
    before = Order.objects.filter(customer=known).count()
    page.goto(f"{live_server.url}/staff/orders/new/")
    # typed, not submitted: the matches come as the clerk types
    page.get_by_label("Find a known customer").press_sequentially(part, delay=40)
    match = page.locator("[data-pick-customer]").filter(has_text=known.name).first
    match.wait_for()
    # picked with the keyboard: focus the match and press Enter
    match.focus()
    page.keyboard.press("Enter")
    assert page.locator("[name=email]").input_value() == known.email
    assert page.locator("[name=address]").input_value() == known.shipping_address
    # five rows to start with; a sixth without reloading, then removed again
    page.get_by_role("button", name="Add a line").click()
    assert page.locator("[name=lines-5-sku]").is_visible()
    assert page.locator("[name=lines-TOTAL_FORMS]").input_value() == "6"
    page.locator("[name=lines-5-sku]").fill("SOMETHING")
    page.get_by_role("button", name="Remove").last.click()
    assert not page.locator("[name=lines-5-sku]").is_visible()
    for i, sku in enumerate(skus):  # a third line as well
        page.locator(f"[name=lines-{i}-sku]").fill(sku)
        page.locator(f"[name=lines-{i}-quantity]").fill(str(i + 1))
    # the total follows what is typed, before saving
    page.locator("[data-quote-total]").wait_for()
    assert page.locator("[data-quote] tbody tr").count() == 3 + 3
    page.get_by_role("button", name="Show the total").click()
    total = page.locator("[data-quote-total]").inner_text()
    assert total and Order.objects.filter(customer=known).count() == before
    assert (
        page.locator("[data-quote] tbody tr").count() == 3 + 3
    )  # lines, shipping, tax, total
    page.get_by_role("button", name="Save the order").click()
    page.wait_for_selector(".alert-success")
    order = Order.objects.filter(customer=known).latest("pk")
    assert order.lines.count() == 3
    from ordersite.money import format_money

    assert total == format_money(order.total, order.currency)
    shot(page, "guide-03-entry-saved")


def tab_to(page, selector: str, *, limit: int = 80, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches ``selector``: the
    element is reachable from where the focus is, in the page's order."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            # a keyboard user sees where they are (Bootstrap's focus ring)
            ring = page.evaluate(
                """() => { const s = getComputedStyle(document.activeElement);
                    return s.boxShadow !== "none" || s.outlineStyle !== "none"; }"""
            )
            assert ring, f"{selector} has no visible focus"
            return
    raise AssertionError(f"{selector} not reached with {key} in {limit} presses")


@pytest.mark.django_db(transaction=True)
def test_a_whole_phone_order_is_entered_with_the_keyboard_alone(
    demo,  # noqa: F811
    live_server,
    page,
):
    from inventory.models import Product
    from orders.models import Customer

    known = Customer.objects.exclude(phone="").order_by("pk").first()
    skus = list(Product.objects.filter(active=True).values_list("sku", flat=True)[:2])
    sign_in(page, live_server, "clerk")
    page.goto(f"{live_server.url}/staff/orders/new/")
    page.locator("body").focus()
    # from the top of the page to the customer search, typing part of the name
    tab_to(page, "#find")
    page.keyboard.type(known.name[:5], delay=30)
    page.locator("[data-pick-customer]").first.wait_for()
    tab_to(page, f"[data-pick-customer][data-email='{known.email}']")
    page.keyboard.press("Enter")
    assert page.locator("[name=email]").input_value() == known.email
    # the reference is focused after picking; lines are typed, one added, one removed
    assert page.evaluate("document.activeElement.name") == "reference"
    page.keyboard.type("Call 14:05")
    tab_to(page, "[name=lines-0-sku]")
    page.keyboard.type(skus[0])
    page.keyboard.press("Tab")
    page.keyboard.type("3")
    tab_to(page, "[name=lines-1-sku]")
    page.keyboard.type(skus[1])
    page.keyboard.press("Tab")
    page.keyboard.type("1")
    tab_to(page, "[data-add-line]")
    page.keyboard.press("Enter")  # the new row's SKU box has the focus
    assert page.evaluate("document.activeElement.name") == "lines-5-sku"
    page.keyboard.type("WRONG-SKU")
    tab_to(page, "tr:has([name=lines-5-sku]) button")
    page.keyboard.press("Space")
    assert not page.locator("[name=lines-5-sku]").is_visible()
    # the total, asked for with the keyboard, then saved with it
    tab_to(page, "button[name=preview]")
    page.keyboard.press("Enter")
    page.locator("[data-quote-total]").wait_for()
    assert page.locator("[data-quote] tbody tr").count() == 2 + 3
    page.locator("body").focus()
    tab_to(page, "button[name=save]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".alert-success")
    order = Order.objects.filter(customer=known).latest("pk")
    assert order.channel_reference == "Call 14:05"
    assert sorted((line.sku, line.quantity) for line in order.lines.all()) == sorted(
        [(skus[0], 3), (skus[1], 1)]
    )
    shot(page, "guide-04-keyboard-entry-saved")


@pytest.mark.django_db(transaction=True)
def test_the_customer_pages_fit_a_phone(
    demo,  # noqa: F811
    live_server,
    browser,
):
    """390 px wide: the status pages in every state a customer meets, the lookup,
    and paying online."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    paths = {"lookup": "/track/"}
    for state in (S.PLACED, S.BACKORDERED, S.SHIPPED, S.DELIVERED, S.CANCELLED):
        order = Order.objects.filter(status=state).first()
        paths[state] = f"/track/{order.tracking_token}/"
    # paying online: the status page with "Pay now", the pay page, the gateway's page
    from orders.money.links import payment_link_open

    due = Order.objects.filter(status=S.ALLOCATED).first()
    paths["allocated (pay now)"] = f"/track/{due.tracking_token}/"
    paths["pay"] = f"/track/{due.tracking_token}/pay/"
    paths["test gateway"] = f"/pay/test/{payment_link_open(order=due).token}/"
    for name, path in paths.items():
        page.goto(live_server.url + path)
        assert accessibility_problems(page) == [], name
        overflow = page.evaluate(
            "document.scrollingElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"{name} is {overflow}px wider than a phone"
        shot(page, f"phone-{name}")
    context.close()
