"""Submission keys: drawn when a staff page is drawn, sent back with it, so that the
service records one submission once (a double click, back-and-resubmit, a second
tab). Each record that can be submitted stores its key under a unique constraint."""

import uuid

KEY_LENGTH = 64


def new_key() -> str:
    return uuid.uuid4().hex


def submission(key) -> str:
    """A key as stored: letters, digits and dashes, at most 64; "" when absent or tampered."""
    key = (key or "").strip() if isinstance(key, str) else ""
    return key if len(key) <= KEY_LENGTH and key.replace("-", "").isalnum() else ""
