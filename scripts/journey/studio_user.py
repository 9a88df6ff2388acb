"""A Studio user's AWS identity on the emulator: the execution role's
credentials, and a record of every AWS call made with them.

SageMaker gives a user's apps the credentials of the profile's execution role;
here the role is assumed in the emulator (moto does not check the trust policy:
SageMaker's service principal is what the role trusts). Every client of the
session, including those AWS's Studio packages create from the default session,
reports each call to :class:`CallRecord`, which step 5 checks against the role's
policies.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Call:
    service: str
    """The IAM service prefix (elasticmapreduce, servicecatalog, ...)."""
    operation: str
    params: dict
    error: str | None
    """The error code AWS (the emulator) answered, or None."""

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"


@dataclass
class CallRecord:
    """Calls in the order they were made; safe to share between threads."""

    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @staticmethod
    def keep_params(params, context, **_):
        """A botocore ``provide-client-params`` handler: the call's parameters,
        kept in the request context for :meth:`hook`."""
        context["journey_params"] = dict(params)

    def hook(self, model, parsed=None, context=None, **_):
        """A botocore ``after-call`` handler."""
        error = parsed.get("Error", {}).get("Code") if isinstance(parsed, dict) else None
        prefix = model.service_model.signing_name  # IAM's prefix: elasticmapreduce, servicecatalog, sts ...
        with self._lock:
            self.calls.append(Call(prefix, model.name, (context or {}).get("journey_params", {}), error))

    def register(self, events) -> None:
        """Records every call of clients made from a botocore session's ``events``."""
        events.register("provide-client-params", self.keep_params)
        events.register("after-call", self.hook)

    def since(self, start: int) -> list[Call]:
        with self._lock:
            return list(self.calls[start:])

    def __len__(self) -> int:
        with self._lock:
            return len(self.calls)


def role_credentials(emulator, role_arn: str, region: str, session_name: str = "studio-journey") -> dict:
    """AccessKeyId, SecretAccessKey, SessionToken of ``role_arn``, assumed in the emulator."""
    sts = emulator.client("sts", region)
    return sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]


def role_session(credentials: dict, region: str, record: CallRecord):
    """A boto3 session with ``credentials`` whose every call is recorded."""
    import boto3

    session = boto3.session.Session(aws_access_key_id=credentials["AccessKeyId"],
                                    aws_secret_access_key=credentials["SecretAccessKey"],
                                    aws_session_token=credentials["SessionToken"], region_name=region)
    record.register(session.events)
    return session
