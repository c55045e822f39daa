"""What a person enters to run each transition, for tests that run them by name."""

from orders.verification.checklist import checklist_keys

INPUTS = {
    "send_back": {"reason": "wrong_price"},
    "ship": {"carrier": "DHL", "tracking_number": "00340434161234567890"},
    "hold": {"reason": "Customer asked us to wait"},
    "cancel": {"reason": "Customer changed their mind"},
}


def inputs_for(name, order):
    """The inputs for ``name`` on ``order`` (checklist ticks and scans depend on it)."""
    if name == "record_first_check":
        return {"checked": checklist_keys(order)}
    if name == "pack":
        return {
            "scanned": [f"{line.sku}*{line.quantity}" for line in order.lines.all()]
        }
    return INPUTS.get(name, {})
