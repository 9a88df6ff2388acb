"""Helpers of the emulator tests: unique names, AWS's refusals, moto's state manager."""
import json
import ssl
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError


def unique(prefix: str) -> str:
    """A name no other test uses (the tests share one emulator)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def refused(code: str, call, *args, message: str = "", **kwargs) -> str:
    """``call`` fails with AWS's error ``code`` (and a message containing ``message``); returns the message."""
    with pytest.raises(ClientError) as excinfo:
        call(*args, **kwargs)
    error = excinfo.value.response["Error"]
    assert error["Code"] == code, error
    assert message in error["Message"]
    return error["Message"]


def set_transition(emulator, model: str, transition: dict | None) -> None:
    """moto's state manager (``/moto-api/state-manager``): how a model's status moves on."""
    action, body = ("set", {"model_name": model, "transition": transition}) if transition else \
        ("unset", {"model_name": model})
    request = urllib.request.Request(f"{emulator.url}/moto-api/state-manager/{action}-transition",
                                     data=json.dumps(body).encode(), method="POST")
    # Loopback only, trusting the emulator's own certificate when it serves HTTPS.
    ca_bundle = getattr(emulator, "ca_bundle", None)
    context = ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    opener.open(request, timeout=10).read()
