"""The client address of the request being served, for audit events recorded by services that never see the
request (organizations.services, privacy.services). Set by AuditContextMiddleware; empty in tasks and commands."""

from contextvars import ContextVar

from axes.helpers import get_client_ip_address

client_ip: ContextVar[str | None] = ContextVar("audit_client_ip", default=None)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The same address the login throttle uses (AXES_IPWARE_PROXY_COUNT trusted proxies).
        token = client_ip.set(get_client_ip_address(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
