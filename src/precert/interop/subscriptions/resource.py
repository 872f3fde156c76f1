"""Read an R4 backport Subscription to the PAS topic; name every problem by its FHIRPath.

What we take (docs/subscriptions.md): `criteria` = the PAS topic, one organization filter
(`orgIdentifier=<NPI>`) in the `backport-filter-criteria` extension on `_criteria`, a
`rest-hook` channel to an http(s) endpoint, payload `application/fhir+json` with content
`full-resource` (assumed when the extension is absent), and optional `Name: value` headers.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fhir.resources.R4B.subscription import Subscription as SubscriptionModel

from precert.interop.fhir.bundle import validated
from precert.interop.fhir.outcome import Invalid, Issue
from precert.rules.codes import NPI_PATTERN, npi_check_digit_ok

TOPIC = "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic"
BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
FILTER_CRITERIA = BACKPORT + "backport-filter-criteria"
PAYLOAD_CONTENT = BACKPORT + "backport-payload-content"
PAS_SUBSCRIPTION = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-subscription"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
FHIR_JSON = "application/fhir+json"
FILTER_PARAMETER = "orgIdentifier"
# A header name is an RFC 9110 token; values may not break the header block.
_HEADER = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n]*)")
_FILTER_PATH = f"Subscription.criteria.extension('{FILTER_CRITERIA}')"
_CONTENT_PATH = f"Subscription.channel.payload.extension('{PAYLOAD_CONTENT}')"


@dataclass(frozen=True, slots=True)
class Requested:
    """A subscription as asked for: the organization's NPI, where to post, with which headers."""

    npi: str
    endpoint: str
    headers: list[str]
    resource: dict[str, Any]


def read_subscription(body: Any) -> Requested:
    """Return what `body` (a Subscription) asks for; raise `Invalid` naming each problem."""
    if not isinstance(body, dict) or body.get("resourceType") != "Subscription":
        kind = body.get("resourceType") if isinstance(body, dict) else type(body).__name__
        raise Invalid([Issue("resourceType", f"expected a Subscription resource, got {kind}")])
    _validated(body)
    issues: list[Issue] = []
    criteria = body.get("criteria")
    if criteria != TOPIC:
        issues.append(
            Issue(
                "Subscription.criteria",
                f"the topic must be the PAS topic {TOPIC}; {criteria!r} is not supported",
                "not-supported",
            )
        )
    npi = _organization(body, issues)
    channel = body.get("channel") or {}
    if channel.get("type") != "rest-hook":
        issues.append(
            Issue(
                "Subscription.channel.type",
                f"the channel type must be rest-hook; {channel.get('type')!r} is not supported",
                "not-supported",
            )
        )
    endpoint = _endpoint(channel.get("endpoint"), issues)
    _payload(channel, issues)
    headers = _headers(channel.get("header"), issues)
    if issues:
        raise Invalid(issues, 422)
    assert npi is not None and endpoint is not None
    return Requested(npi=npi, endpoint=endpoint, headers=headers, resource=_kept(body))


def _validated(body: dict[str, Any]) -> None:
    """Check `body` against the R4B Subscription model; raise `Invalid` naming each element."""
    validated(SubscriptionModel, body, "Subscription")


def _organization(body: dict[str, Any], issues: list[Issue]) -> str | None:
    """Return the NPI of the one `orgIdentifier` filter; note what is missing or wrong."""
    extensions = (body.get("_criteria") or {}).get("extension") or []
    filters = [e for e in extensions if isinstance(e, dict) and e.get("url") == FILTER_CRITERIA]
    if not filters:
        issues.append(
            Issue(
                _FILTER_PATH,
                f"a filter naming your organization is required: {FILTER_PARAMETER}=<NPI> in "
                f"the {FILTER_CRITERIA} extension on _criteria",
                "required",
            )
        )
        return None
    npis: list[str] = []
    for n, extension in enumerate(filters):
        where = f"{_FILTER_PATH}[{n}].valueString"
        text = _text(extension.get("valueString")) or ""
        name, equals, value = text.partition("=")
        if not equals or name.strip() != FILTER_PARAMETER:
            issues.append(
                Issue(
                    where,
                    f"the PAS topic filters by {FILTER_PARAMETER} only "
                    f"({FILTER_PARAMETER}=<NPI>); {text!r} is not supported",
                    "not-supported",
                )
            )
            continue
        system, bar, npi = value.strip().rpartition("|")
        if bar and system not in ("", NPI_SYSTEM):
            issues.append(
                Issue(where, f"the organization identifier must be an NPI ({NPI_SYSTEM})", "value")
            )
        elif not NPI_PATTERN.fullmatch(npi) or not npi_check_digit_ok(npi):
            issues.append(Issue(where, f"{npi!r} is not a valid NPI (10 digits)", "value"))
        else:
            npis.append(npi)
    if len(set(npis)) > 1:
        issues.append(
            Issue(_FILTER_PATH, "one organization per subscription; send one for each", "value")
        )
    return npis[0] if npis and len(set(npis)) == 1 else None


def _endpoint(value: Any, issues: list[Issue]) -> str | None:
    where = "Subscription.channel.endpoint"
    if not _text(value):
        issues.append(Issue(where, "an http(s) endpoint to post notifications to is required"))
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        issues.append(Issue(where, f"{value!r} is not an http(s) URL", "value"))
        return None
    if parts.username or parts.password:
        issues.append(Issue(where, "put credentials in channel.header, not in the URL", "value"))
        return None
    endpoint: str = value.strip()
    return endpoint


def _payload(channel: dict[str, Any], issues: list[Issue]) -> None:
    payload = channel.get("payload")
    if payload != FHIR_JSON:
        issues.append(
            Issue(
                "Subscription.channel.payload",
                f"the payload must be {FHIR_JSON}; "
                + ("it is missing" if payload is None else f"{payload!r} is not supported"),
                "required" if payload is None else "not-supported",
            )
        )
    extensions = (channel.get("_payload") or {}).get("extension") or []
    for extension in extensions:
        if not isinstance(extension, dict) or extension.get("url") != PAYLOAD_CONTENT:
            continue
        content = extension.get("valueCode")
        if content != "full-resource":
            issues.append(
                Issue(
                    _CONTENT_PATH,
                    f"only full-resource notifications are sent; {content!r} is not supported",
                    "not-supported",
                )
            )


def _headers(value: Any, issues: list[Issue]) -> list[str]:
    headers: list[str] = []
    for n, header in enumerate(value or []):
        text = header if isinstance(header, str) else ""
        if not _HEADER.fullmatch(text):
            issues.append(
                Issue(
                    f"Subscription.channel.header[{n}]",
                    "a header is written 'Name: value' on one line",
                    "value",
                )
            )
        else:
            headers.append(text)
    return headers


def _kept(body: dict[str, Any]) -> dict[str, Any]:
    """Return the resource to store: as sent, with content `full-resource` stated."""
    resource = copy.deepcopy(body)
    resource.pop("id", None)
    resource.pop("text", None)  # a client's narrative would no longer match the status we set
    channel = resource["channel"]
    payload = channel.setdefault("_payload", {})
    extensions = payload.setdefault("extension", [])
    if not any(isinstance(e, dict) and e.get("url") == PAYLOAD_CONTENT for e in extensions):
        extensions.append({"url": PAYLOAD_CONTENT, "valueCode": "full-resource"})
    return resource


def headers_of(lines: list[str]) -> dict[str, str]:
    """Return the `Name: value` header lines of a subscription as a mapping."""
    found: dict[str, str] = {}
    for line in lines:
        match = _HEADER.fullmatch(line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
