"""The examples in docs/integration.md run as written against a server with the
demo data (the demo key seed_demo prints)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

DOC = (Path(__file__).resolve().parents[2] / "docs" / "integration.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, re.S)


@pytest.mark.django_db(transaction=True)
def test_the_curl_and_python_examples_create_orders(demo_data, live_server):
    from orders.models import Order

    [curl] = [b for b in blocks("sh") if "curl" in b]
    curl = curl.replace("http://127.0.0.1:8000", live_server.url)
    if shutil.which("curl"):
        out = subprocess.run(
            ["bash", "-c", curl], capture_output=True, text=True, timeout=60
        ).stdout
    else:  # the same request without curl
        body = re.search(r"-d '(.*)'", curl, re.S).group(1)
        out = _post(live_server.url, json.loads(body), "example-0001")
    made = json.loads(out)
    order = Order.objects.get(number=made["number"])
    assert order.external_id == "WEB-10001" and order.payments.count() == 1
    assert order.payments.get().amount == order.total  # the example pays in full
    [python] = blocks("python")
    python = python.replace("http://127.0.0.1:8000", live_server.url)
    scope: dict = {}
    exec(compile(python, "integration.md", "exec"), scope)  # noqa: S102
    assert scope["response"].status == 201
    assert Order.objects.filter(external_id="WEB-10002").exists()


def _post(base, body, key):
    import urllib.request

    request = urllib.request.Request(
        f"{base}/api/v1/orders/",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": "Bearer osk_demo0000_ordersite-demo-key-local-only",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return response.read().decode()
