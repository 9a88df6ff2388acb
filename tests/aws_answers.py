"""Helpers of the emulator tests: unique names, and AWS's refusals."""
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
