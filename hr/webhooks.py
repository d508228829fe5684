"""Microsoft Teams and Slack incoming webhooks: which URLs an organization may save, and posting to them.

A webhook URL is typed by a customer and then fetched by our worker, so it is a way into our network
(SSRF) unless it is held to its service: https, the service's own host names, no credentials or odd port,
and at posting time every address the name resolves to must be a public one. Redirects are not followed.
Tests (and only tests) set REMINDER_WEBHOOKS_ALLOW_LOCAL to post to a local HTTP server.
"""

import ipaddress
import json
import re
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

TEAMS, SLACK = "teams", "slack"

# Teams: a Workflows webhook ("Post to a channel when a webhook request is received") lives on Azure Logic Apps
# or Power Platform; a classic connector's on webhook.office.com. Slack's incoming webhooks on hooks.slack.com.
ALLOWED_HOSTS = {
    TEAMS: (".webhook.office.com", ".logic.azure.com", ".api.powerplatform.com"),
    SLACK: ("hooks.slack.com",),
}
TIMEOUT_SECONDS = 10
URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")  # RFC 3986: anything else is not a URL


class WebhookError(Exception):
    """The post did not go through (refused address, network error, or an answer other than 2xx)."""


def _host_allowed(host: str, channel: str) -> bool:
    return any(
        host == suffix or (suffix.startswith(".") and host.endswith(suffix)) for suffix in ALLOWED_HOSTS[channel]
    )


def validate_webhook_url(url: str, *, channel: str) -> str:
    """The URL if an organization may save it for `channel`, else ValidationError saying why."""
    url = url.strip()
    parts = urlsplit(url)
    if settings.REMINDER_WEBHOOKS_ALLOW_LOCAL and parts.scheme in ("http", "https") and parts.hostname:
        return url
    if parts.scheme != "https":
        raise ValidationError(_("Webhook の URL は https:// で始まるものにしてください。"))
    try:
        URLValidator(schemes=["https"])(url)
        if not URL_CHARACTERS.fullmatch(url):
            raise ValidationError("not URL characters")
    except ValidationError:
        raise ValidationError(_("Webhook の URL の形式が正しくありません。")) from None
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.username or parts.password or parts.port not in (None, 443):
        raise ValidationError(_("Webhook の URL にユーザー名・パスワードやポート番号は使えません。"))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise ValidationError(_("Webhook の URL には IP アドレスではなくサービスのホスト名を使ってください。"))
    if not _host_allowed(host, channel):
        if channel == TEAMS:
            raise ValidationError(
                _("Teams の Webhook の URL（*.webhook.office.com、*.logic.azure.com など）を入力してください。")
            )
        raise ValidationError(_("Slack の Incoming Webhook の URL（https://hooks.slack.com/…）を入力してください。"))
    return url


def _require_public_address(host: str) -> None:
    """Every address the name resolves to is on the public internet (not loopback, private, link-local such as
    169.254.169.254, or reserved): a name of an allowed domain pointed at an internal address is refused."""
    try:
        infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise WebhookError(f"cannot resolve {host}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise WebhookError(f"{host} resolves to a non-public address")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect answer is then an HTTPError: the post failed


_opener = urllib.request.build_opener(_NoRedirect)


def webhook_post(url: str, payload: dict, *, channel: str) -> None:
    """POST the JSON payload; WebhookError unless the service answers 2xx."""
    try:
        validate_webhook_url(url, channel=channel)  # again: the setting may have been saved under other rules
    except ValidationError as error:
        raise WebhookError("refused URL") from error
    if not settings.REMINDER_WEBHOOKS_ALLOW_LOCAL:
        _require_public_address(urlsplit(url).hostname or "")
    request = urllib.request.Request(  # noqa: S310 - the scheme was checked above: https (http only in tests)
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(1024)
    except urllib.error.HTTPError as error:
        raise WebhookError(f"HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise WebhookError(str(error)[:200]) from None


def webhook_payload(text: str, *, channel: str) -> dict:
    """The message as each service wants it: Slack's text, Teams' Adaptive Card (Workflows and connectors)."""
    if channel == SLACK:
        return {"text": text}
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [{"type": "TextBlock", "text": text, "wrap": True}],
                },
            }
        ],
    }


def masked(url: str) -> str:
    """What the settings page shows of a saved URL: the host and the last four characters, never the secret."""
    if not url:
        return ""
    return f"{urlsplit(url).scheme}://{urlsplit(url).hostname}/…{url[-4:]}"
