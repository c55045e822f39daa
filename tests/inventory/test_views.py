"""The inventory staff pages: who may see what, forms that refuse bad input, bounded queries."""

import pytest
from django.urls import reverse

from inventory import alerts, counts
from inventory.models import GoodsReceipt, StockCount, StockItem, StockMovement
from orders.permissions import Role
from tests.factories.inventory import ProductFactory

# page -> roles that may open it (manager always may)
PAGES = {
    "inventory:stock": Role.ALL,
    "inventory:health": Role.ALL,
    "inventory:receipts": Role.ALL,
    "inventory:receipt_new": (Role.WAREHOUSE, Role.MANAGER),
    "inventory:counts": Role.ALL,
    "inventory:count_new": (Role.WAREHOUSE, Role.MANAGER),
    "staff:dashboard": Role.ALL,
    "orders:backorders": Role.ALL,
}
TABLE = [(page, role) for page in PAGES for role in Role.ALL]


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "role"), TABLE, ids=[f"{p}-{r}" for p, r in TABLE])
def test_page_access_per_role(client, staff, page, role):
    client.force_login(staff[role])
    expected = 200 if role in PAGES[page] else 403
    assert client.get(reverse(page)).status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, page):
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert response.url.startswith(reverse("staff:login"))


@pytest.mark.django_db
def test_non_staff_users_are_refused(client):
    from tests.factories.orders import UserFactory

    client.force_login(UserFactory(is_staff=False))
    assert client.get(reverse("inventory:stock")).status_code == 403


@pytest.mark.django_db
def test_staff_sign_in(client, staff):
    response = client.post(
        reverse("staff:login"), {"username": "warehouse", "password": "secret-pass"}
    )
    assert response.status_code == 302
    assert client.get(reverse("staff:dashboard")).status_code == 200


@pytest.mark.django_db
class TestStockList:
    def test_filters_by_search_and_state(self, client, staff, stock):
        low = stock(ProductFactory(sku="LOW-9", name="Grinder"), 2)
        stock(ProductFactory(sku="OK-1", name="Beans"), 50)
        StockItem.objects.filter(pk=low.pk).update(reorder_point=5)
        client.force_login(staff[Role.CLERK])

        def shown(**query):
            page = client.get(reverse("inventory:stock"), query).context["page"]
            return [item.product.sku for item in page]

        assert shown(q="grind") == ["LOW-9"]
        assert shown(state="low") == ["LOW-9"]
        assert shown() == ["LOW-9", "OK-1"]

    def test_query_count_does_not_grow_with_rows(
        self, client, staff, stock, django_assert_max_num_queries
    ):
        client.force_login(staff[Role.CLERK])
        for _ in range(30):
            stock(ProductFactory(), 3)
        with django_assert_max_num_queries(8):
            client.get(reverse("inventory:stock"))


@pytest.mark.django_db
class TestReceiptForm:
    def _post(self, client, warehouse, lines, **extra):
        data = {
            "warehouse": warehouse.pk,
            "supplier": "Roastery Ltd",
            "supplier_reference": "DN-1",
            "lines-TOTAL_FORMS": str(len(lines)),
            "lines-INITIAL_FORMS": "0",
            **extra,
        }
        for i, (sku, quantity) in enumerate(lines):
            data[f"lines-{i}-sku"] = sku
            data[f"lines-{i}-quantity"] = quantity
        return client.post(reverse("inventory:receipt_new"), data)

    def test_a_valid_delivery_is_booked(self, client, staff, warehouse):
        ProductFactory(sku="BEANS-1")
        client.force_login(staff[Role.WAREHOUSE])
        response = self._post(client, warehouse, [("beans-1", "12"), ("", "")])
        receipt = GoodsReceipt.objects.get()
        assert response.status_code == 302 and response.url.endswith(
            f"/{receipt.number}/"
        )
        assert StockItem.objects.get(product__sku="BEANS-1").on_hand == 12

    @pytest.mark.parametrize(
        ("lines", "message"),
        [
            ([("NOPE-1", "3")], "Unknown SKU “NOPE-1”."),
            ([("BEANS-1", "-2")], "Ensure this value is greater than or equal to 1."),
            ([("BEANS-1", "")], "Enter how many arrived."),
            ([("", "")], "Add at least one line."),
        ],
    )
    def test_bad_input_is_explained_and_nothing_is_written(
        self, client, staff, warehouse, lines, message
    ):
        ProductFactory(sku="BEANS-1")
        client.force_login(staff[Role.WAREHOUSE])
        response = self._post(client, warehouse, lines)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not GoodsReceipt.objects.exists()
        assert not StockMovement.objects.exists()


@pytest.mark.django_db
class TestCountPages:
    def test_open_count_enter_submit_approve(self, client, staff, stock, warehouse):
        item = stock(ProductFactory(sku="CNT-A"), 10)
        client.force_login(staff[Role.WAREHOUSE])
        response = client.post(
            reverse("inventory:count_new"), {"warehouse": warehouse.pk, "skus": "cnt-a"}
        )
        count = StockCount.objects.get()
        assert response.url == reverse("inventory:count", args=[count.number])
        line = count.lines.get()
        client.post(
            reverse("inventory:count", args=[count.number]),
            {f"line_{line.pk}": "7", "submit": "1"},
        )
        count.refresh_from_db()
        assert count.status == StockCount.Status.SUBMITTED
        # the warehouse may not approve; the manager may
        assert (
            client.post(
                reverse("inventory:count_approve", args=[count.number])
            ).status_code
            == 403
        )
        client.force_login(staff[Role.MANAGER])
        page = client.get(
            reverse("inventory:count", args=[count.number])
        ).content.decode()
        assert "-3" in page and "Approve and correct stock" in page
        client.post(reverse("inventory:count_approve", args=[count.number]))
        item.refresh_from_db()
        assert item.on_hand == 7

    def test_unknown_skus_are_named(self, client, staff, stock, warehouse):
        stock(ProductFactory(sku="REAL-1"), 1)
        client.force_login(staff[Role.WAREHOUSE])
        response = client.post(
            reverse("inventory:count_new"),
            {"warehouse": warehouse.pk, "skus": "REAL-1, FAKE-9"},
        )
        assert "Unknown SKU(s): FAKE-9." in response.content.decode()
        assert not StockCount.objects.exists()

    def test_a_closed_count_refuses_quantities(self, client, staff, stock, warehouse):
        stock(ProductFactory(), 4)
        count = counts.count_open(warehouse=warehouse, actor=staff[Role.WAREHOUSE])
        line = count.lines.get()
        counts.count_cancel(count=count, actor=staff[Role.WAREHOUSE], reason="Mistake")
        client.force_login(staff[Role.WAREHOUSE])
        response = client.post(
            reverse("inventory:count", args=[count.number]), {f"line_{line.pk}": "2"}
        )
        assert response.status_code == 200
        assert "only possible while it is open" in response.content.decode()
        line.refresh_from_db()
        assert line.counted is None

    def test_negative_counts_are_refused_on_the_page(
        self, client, staff, stock, warehouse
    ):
        stock(ProductFactory(), 4)
        count = counts.count_open(warehouse=warehouse, actor=staff[Role.WAREHOUSE])
        line = count.lines.get()
        client.force_login(staff[Role.WAREHOUSE])
        response = client.post(
            reverse("inventory:count", args=[count.number]), {f"line_{line.pk}": "-1"}
        )
        assert "A counted quantity cannot be negative." in response.content.decode()


@pytest.mark.django_db
class TestProductPage:
    def test_the_ledger_and_adjustments(self, client, staff, stock, warehouse):
        item = stock(ProductFactory(sku="ADJ-1"), 5)
        url = reverse("inventory:product", args=["ADJ-1"])
        client.force_login(staff[Role.WAREHOUSE])
        page = client.get(url).content.decode()
        assert "Goods receipt" in page and "Adjust stock" not in page
        assert (
            client.post(
                url, {"warehouse": warehouse.pk, "delta": "-1", "reason": "x"}
            ).status_code
            == 403
        )
        client.force_login(staff[Role.MANAGER])
        response = client.post(
            url, {"warehouse": warehouse.pk, "delta": "0", "reason": "x"}
        )
        assert "An adjustment must change the quantity." in response.content.decode()
        client.post(
            url, {"warehouse": warehouse.pk, "delta": "-2", "reason": "Dropped"}
        )
        item.refresh_from_db()
        assert item.on_hand == 3


@pytest.mark.django_db
class TestHealth:
    def test_health_lists_problems_and_exports_csv(self, client, staff, stock):
        out = stock(ProductFactory(sku="OUT-1"), 1)
        StockItem.objects.filter(pk=out.pk).update(allocated=1)  # fully promised
        stock(ProductFactory(sku="IDLE-1"), 40)  # nothing shipped in 30 days
        client.force_login(staff[Role.CLERK])
        rows = client.get(reverse("inventory:health")).context["rows"]
        assert {(r.item.product.sku, r.problem) for r in rows} == {
            ("OUT-1", "stockout"),
            ("IDLE-1", "overstock"),
        }
        response = client.get(
            reverse("inventory:health"), {"format": "csv", "problem": "overstock"}
        )
        assert response["Content-Type"].startswith("text/csv")
        lines = b"".join(response.streaming_content).decode().strip().splitlines()
        assert lines[0].startswith("sku,product,warehouse,problem")
        assert len(lines) == 2 and lines[1].startswith("IDLE-1,")

    def test_health_pages_fifty_rows_and_the_csv_has_them_all(
        self, client, staff, stock, monkeypatch
    ):
        from inventory import views

        monkeypatch.setattr(views, "PAGE_SIZE", 2)
        for n in range(5):
            stock(ProductFactory(sku=f"IDLE-{n}"), 40)  # overstock: never shipped
        client.force_login(staff[Role.CLERK])
        url = reverse("inventory:health")
        first = client.get(url)
        assert len(first.context["rows"]) == 2
        assert "Page 1 of 3" in first.content.decode()
        last = client.get(url, {"page": "3", "sort": "sku"})
        assert [r.item.product.sku for r in last.context["rows"]] == ["IDLE-4"]
        assert client.get(url, {"page": "1" + "0" * 30}).status_code == 200
        csv_lines = b"".join(
            client.get(url, {"format": "csv"}).streaming_content
        ).splitlines()
        assert len(csv_lines) == 1 + 5


@pytest.mark.django_db
def test_dashboard_shows_low_stock(client, staff, stock):
    item = stock(ProductFactory(sku="DASH-1"), 2)
    StockItem.objects.filter(pk=item.pk).update(reorder_point=5)
    alerts.low_stock_refresh()
    client.force_login(staff[Role.CLERK])
    page = client.get(reverse("staff:dashboard")).content.decode()
    assert "DASH-1" in page
