"""Receipts and adjustments a careless clerk gets wrong: a barcode in the quantity
box, an unusually large delivery, the same page sent twice, a wrong receipt to
take back. Each is refused, asked about, recorded once or reversed."""

import pytest
from django.urls import reverse

from inventory import services
from inventory.exceptions import AlreadyRecorded, InsufficientStock, InvalidQuantity
from inventory.models import GoodsReceipt, StockCount, StockItem, StockMovement
from orders.permissions import Role
from ordersite import limits
from tests.factories.inventory import ProductFactory

EAN = "4006381333931"
HUGE = str(2**63)


def _receipt(warehouse, lines, **extra):
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
    return data


def _ledger_size():
    return StockMovement.objects.count(), GoodsReceipt.objects.count()


@pytest.mark.django_db
class TestOutOfRange:
    @pytest.mark.parametrize("quantity", [EAN, HUGE, "1e6", "12abc", "3.5"])
    def test_a_receipt_refuses_a_barcode_and_saves_nothing(
        self, client, staff, warehouse, quantity
    ):
        ProductFactory(sku="BEANS-1")
        client.force_login(staff[Role.WAREHOUSE])
        response = client.post(
            reverse("inventory:receipt_new"),
            _receipt(warehouse, [("BEANS-1", quantity)]),
        )
        assert response.status_code == 200
        assert _ledger_size() == (0, 0)

    @pytest.mark.parametrize("delta", [EAN, HUGE, "-" + HUGE])
    def test_an_adjustment_refuses_a_barcode(
        self, client, staff, stock, warehouse, delta
    ):
        item = stock(ProductFactory(sku="ADJ-1"), 5)
        client.force_login(staff[Role.MANAGER])
        before = _ledger_size()
        response = client.post(
            reverse("inventory:product", args=["ADJ-1"]),
            {"warehouse": warehouse.pk, "delta": delta, "reason": "scan"},
        )
        assert response.status_code == 200
        assert "barcode" in response.content.decode()
        assert _ledger_size() == before
        item.refresh_from_db()
        assert item.on_hand == 5

    @pytest.mark.parametrize("counted", [EAN, HUGE])
    def test_a_count_refuses_a_barcode(self, client, staff, stock, warehouse, counted):
        from inventory import counts

        item = stock(ProductFactory(sku="CNT-1"), 5)
        count = counts.count_open(
            warehouse=warehouse, actor=staff[Role.WAREHOUSE], product_ids=None
        )
        line = count.lines.get()
        client.force_login(staff[Role.WAREHOUSE])
        response = client.post(
            reverse("inventory:count", args=[count.number]),
            {f"line_{line.pk}": counted, "save": "1"},
        )
        assert response.status_code == 200
        line.refresh_from_db()
        assert line.counted is None
        assert item.movements.count() == 1

    def test_the_service_refuses_whoever_calls_it(self, staff, warehouse):
        product = ProductFactory()
        for quantity in (0, -1, int(EAN), 2**63, "12", 1.5, True):
            with pytest.raises(InvalidQuantity):
                services.receipt_create(
                    warehouse=warehouse,
                    supplier="S",
                    lines=[services.ReceiptLine(product, quantity)],
                    actor=staff[Role.WAREHOUSE],
                )
        assert _ledger_size() == (0, 0)

    def test_stock_never_grows_past_what_the_column_holds(
        self, staff, warehouse, settings
    ):
        settings.INVENTORY_MAX_QUANTITY = limits.QUANTITY_CEILING
        product = ProductFactory()
        line = services.ReceiptLine(product, limits.QUANTITY_CEILING)
        services.receipt_create(
            warehouse=warehouse, supplier="S", lines=[line], actor=staff[Role.MANAGER]
        )
        with pytest.raises(InvalidQuantity, match="cannot hold more"):
            services.receipt_create(
                warehouse=warehouse,
                supplier="S",
                lines=[services.ReceiptLine(product, 1)],
                actor=staff[Role.MANAGER],
            )
        assert StockItem.objects.get().on_hand == limits.QUANTITY_CEILING
        assert GoodsReceipt.objects.count() == 1


@pytest.mark.django_db
class TestPlausibility:
    def test_a_large_delivery_is_asked_about_then_booked(
        self, client, staff, warehouse, settings
    ):
        settings.INVENTORY_CONFIRM_QUANTITY_ABOVE = 1000
        ProductFactory(sku="BEANS-1")
        client.force_login(staff[Role.WAREHOUSE])
        url = reverse("inventory:receipt_new")
        page = client.post(url, _receipt(warehouse, [("BEANS-1", "5000")]))
        text = page.content.decode()
        assert page.status_code == 200
        assert "unusually large quantities: 5,000 × BEANS-1" in text
        assert 'type="checkbox" name="confirm_large"' in text
        assert _ledger_size() == (0, 0)
        booked = client.post(
            url, _receipt(warehouse, [("BEANS-1", "5000")], confirm_large="on")
        )
        assert booked.status_code == 302
        assert StockItem.objects.get().on_hand == 5000

    def test_a_large_adjustment_and_count_are_asked_about(
        self, client, staff, stock, warehouse, settings
    ):
        from inventory import counts

        settings.INVENTORY_CONFIRM_QUANTITY_ABOVE = 100
        item = stock(ProductFactory(sku="ADJ-1"), 5)
        client.force_login(staff[Role.MANAGER])
        url = reverse("inventory:product", args=["ADJ-1"])
        data = {"warehouse": warehouse.pk, "delta": "500", "reason": "found"}
        assert "unusually large" in client.post(url, data).content.decode()
        item.refresh_from_db()
        assert item.on_hand == 5
        client.post(url, {**data, "confirm_large": "on"})
        item.refresh_from_db()
        assert item.on_hand == 505

        count = counts.count_open(
            warehouse=warehouse, actor=staff[Role.MANAGER], product_ids=None
        )
        line = count.lines.get()
        count_url = reverse("inventory:count", args=[count.number])
        page = client.post(count_url, {f"line_{line.pk}": "9000", "save": "1"})
        assert "unusually large quantities: 9,000 × ADJ-1" in page.content.decode()
        line.refresh_from_db()
        assert line.counted is None
        client.post(
            count_url, {f"line_{line.pk}": "9000", "save": "1", "confirm_large": "on"}
        )
        line.refresh_from_db()
        assert line.counted == 9000
        assert count.status == StockCount.Status.OPEN


@pytest.mark.django_db
class TestOnce:
    def test_a_receipt_page_sent_twice_books_once(self, client, staff, warehouse):
        ProductFactory(sku="BEANS-1")
        client.force_login(staff[Role.WAREHOUSE])
        url = reverse("inventory:receipt_new")
        page = client.get(url).content.decode()
        key = page.split('name="submission" value="')[1].split('"')[0]
        assert len(key) == 32
        data = _receipt(warehouse, [("BEANS-1", "12")], submission=key)
        first = client.post(url, data)
        second = client.post(url, data, follow=True)
        receipt = GoodsReceipt.objects.get()
        assert first.url == second.redirect_chain[-1][0]
        assert f"already booked as {receipt.number}" in second.content.decode()
        assert StockItem.objects.get().on_hand == 12
        # a fresh page draws a fresh key and books a new delivery
        assert client.get(url).content.decode() != page

    def test_an_adjustment_sent_twice_adjusts_once(
        self, client, staff, stock, warehouse
    ):
        item = stock(ProductFactory(sku="ADJ-1"), 5)
        client.force_login(staff[Role.MANAGER])
        url = reverse("inventory:product", args=["ADJ-1"])
        data = {
            "warehouse": warehouse.pk,
            "delta": "-2",
            "reason": "Dropped",
            "submission": "a" * 32,
        }
        client.post(url, data)
        response = client.post(url, data, follow=True)
        assert "already recorded" in response.content.decode()
        item.refresh_from_db()
        assert item.on_hand == 3
        assert item.movements.filter(kind="adjustment").count() == 1

    def test_the_services_name_what_the_first_submit_recorded(
        self, staff, stock, warehouse
    ):
        product = ProductFactory()
        item = stock(product, 5)
        line = services.ReceiptLine(product, 3)
        kwargs = dict(
            warehouse=warehouse,
            supplier="S",
            lines=[line],
            actor=staff[Role.MANAGER],
            submission_key="k1",
        )
        first = services.receipt_create(**kwargs)
        with pytest.raises(AlreadyRecorded) as caught:
            services.receipt_create(**kwargs)
        assert caught.value.record == first
        services.stock_adjust(
            stock_item=item,
            delta=1,
            actor=staff[Role.MANAGER],
            reason="found",
            submission_key="k2",
        )
        with pytest.raises(AlreadyRecorded):
            services.stock_adjust(
                stock_item=item,
                delta=1,
                actor=staff[Role.MANAGER],
                reason="found",
                submission_key="k2",
            )
        item.refresh_from_db()
        assert item.on_hand == 9

    def test_a_tampered_key_is_ignored_not_stored(self, client, staff, warehouse):
        ProductFactory(sku="BEANS-1")
        client.force_login(staff[Role.WAREHOUSE])
        url = reverse("inventory:receipt_new")
        for tampered in ("<script>" + "x" * 100, "'; drop table--", "k" * 65):
            data = _receipt(warehouse, [("BEANS-1", "1")], submission=tampered)
            assert client.post(url, data).status_code == 302
        assert list(GoodsReceipt.objects.values_list("submission_key", flat=True)) == [
            "",
            "",
            "",
        ]


@pytest.mark.django_db
class TestReversal:
    def _book(self, staff, warehouse, *lines):
        return services.receipt_create(
            warehouse=warehouse,
            supplier="Roastery Ltd",
            lines=[services.ReceiptLine(p, q) for p, q in lines],
            actor=staff[Role.WAREHOUSE],
        )

    def test_a_wrong_receipt_is_taken_back_with_a_reason(
        self, client, staff, warehouse
    ):
        a, b = ProductFactory(sku="A-1"), ProductFactory(sku="B-1")
        receipt = self._book(staff, warehouse, (a, 7), (b, 4006))
        client.force_login(staff[Role.WAREHOUSE])
        url = reverse("inventory:receipt", args=[receipt.number])
        assert "Reverse this receipt" in client.get(url).content.decode()
        reverse_url = reverse("inventory:receipt_reverse", args=[receipt.number])
        client.post(reverse_url, {"reason": ""})
        assert StockMovement.objects.filter(kind="reversal").count() == 0
        response = client.post(reverse_url, {"reason": "EAN scanned"}, follow=True)
        assert "reversed" in response.content.decode()
        assert {i.product.sku: i.on_hand for i in StockItem.objects.all()} == {
            "A-1": 0,
            "B-1": 0,
        }
        reversals = StockMovement.objects.filter(kind="reversal")
        assert sorted(m.on_hand_delta for m in reversals) == [-4006, -7]
        assert all(m.reverses.reference == receipt.number for m in reversals)
        assert {m.actor for m in reversals} == {staff[Role.WAREHOUSE]}
        receipt.refresh_from_db()
        assert receipt.reversed_by == staff[Role.WAREHOUSE]
        assert receipt.reversal_reason == "EAN scanned"
        # the original rows are still there, untouched
        assert StockMovement.objects.filter(kind="receipt").count() == 2
        again = client.post(reverse_url, {"reason": "again"}, follow=True)
        assert "already reversed" in again.content.decode()
        assert reversals.count() == 2

    def test_units_already_promised_are_not_taken_back(
        self, staff, warehouse, order_in, crew
    ):
        from orders.stock import services as stock_services

        product = ProductFactory(sku="A-1")
        receipt = self._book(staff, warehouse, (product, 5))
        order = order_in("verified", lines=[(product, 3)], stocked=False)
        stock_services.order_check_inventory(order=order, actor=crew.warehouse)
        with pytest.raises(InsufficientStock):
            services.receipt_reverse(
                receipt=receipt, actor=staff[Role.WAREHOUSE], reason="wrong"
            )
        item = StockItem.objects.get()
        assert (item.on_hand, item.allocated) == (5, 3)
        receipt.refresh_from_db()
        assert receipt.reversed_at is None

    def test_reversing_needs_the_permission_to_book(self, client, staff, warehouse):
        receipt = self._book(staff, warehouse, (ProductFactory(), 5))
        client.force_login(staff[Role.CLERK])
        url = reverse("inventory:receipt_reverse", args=[receipt.number])
        assert client.post(url, {"reason": "x"}).status_code == 403
        assert client.get(url).status_code in (403, 405)
        assert not StockMovement.objects.filter(kind="reversal").exists()

    def test_an_adjustment_is_reversed_once_and_a_receipt_not_through_it(
        self, client, staff, stock, warehouse
    ):
        item = stock(ProductFactory(sku="ADJ-1"), 5)
        adjustment = services.stock_adjust(
            stock_item=item, delta=-2, actor=staff[Role.MANAGER], reason="Dropped"
        )
        movement = item.movements.get(kind="adjustment")
        client.force_login(staff[Role.MANAGER])
        page = client.get(reverse("inventory:product", args=["ADJ-1"])).content
        assert reverse("inventory:adjustment_reverse", args=[movement.pk]) in (
            page.decode()
        )
        url = reverse("inventory:adjustment_reverse", args=[movement.pk])
        client.post(url, {"reason": "Found it after all"})
        client.post(url, {"reason": "Found it after all"})
        adjustment.refresh_from_db()
        assert adjustment.on_hand == 5
        reversal = StockMovement.objects.get(kind="reversal")
        assert (reversal.reverses, reversal.on_hand_delta) == (movement, 2)
        receipt_row = item.movements.get(kind="receipt")
        response = client.post(
            reverse("inventory:adjustment_reverse", args=[receipt_row.pk]),
            {"reason": "x"},
            follow=True,
        )
        assert "Only manual adjustments" in response.content.decode()
        client.force_login(staff[Role.WAREHOUSE])
        assert client.post(url, {"reason": "x"}).status_code == 403
