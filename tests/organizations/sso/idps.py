"""Real identity providers on loopback for the SSO tests: pysaml2's IdP (saml2.server.Server) in a small WSGI
app served from a thread, and panva's oidc-provider run with node. Keys and certificates are made at test time."""

import html
import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import AUTHN_PASSWORD_PROTECTED, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def key_and_cert(directory: Path, name: str) -> tuple[str, str]:
    """A throwaway RSA key and self-signed certificate, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"test-idp-{name}")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = directory / f"{name}.key", directory / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class SamlIdp:
    """pysaml2's IdP behind a sign-in page: GET the SSO URL with a SAMLRequest, POST an address, get the
    auto-posting form to the SP's ACS. Knobs make it misbehave for the refusal tests."""

    def __init__(self, directory: Path, name: str, users: dict[str, dict]):
        self.port = free_port()
        self.base = f"http://localhost:{self.port}"
        self.entity_id = f"{self.base}/metadata"
        self.users = users
        self.key_file, self.cert_file = key_and_cert(directory, name)
        self.other_key_file, self.other_cert_file = key_and_cert(directory, f"{name}-other")
        self.sp_metadata: list[str] = []
        self.reset()
        self._server = make_server(
            "127.0.0.1", self.port, self.app, server_class=WSGIServer, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def reset(self):
        self.sign_assertion = True
        self.sign_with_other_key = False
        self.lifetime_minutes = 15
        self.audience = None  # None: the SP that asked

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def _config(self, *, for_metadata: bool = False) -> IdPConfig:
        signing_key, signing_cert = (
            (self.other_key_file, self.other_cert_file)
            if self.sign_with_other_key and not for_metadata
            else (self.key_file, self.cert_file)
        )
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": shutil.which("xmlsec1"),
                "key_file": signing_key,
                "cert_file": signing_cert,
                "metadata": {"inline": self.sp_metadata} if self.sp_metadata else {},
                "service": {
                    "idp": {
                        "endpoints": {"single_sign_on_service": [(f"{self.base}/sso/redirect", BINDING_HTTP_REDIRECT)]},
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                        "policy": {"default": {"lifetime": {"minutes": self.lifetime_minutes}}},
                    }
                },
            }
        )
        return config

    def metadata(self) -> str:
        return str(entity_descriptor(self._config(for_metadata=True)))

    def app(self, environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/metadata":
            start_response("200 OK", [("Content-Type", "application/samlmetadata+xml")])
            return [self.metadata().encode()]
        if path == "/sso/redirect":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            fields = "".join(
                f'<input type="hidden" name="{name}" value="{html.escape(query[name][0])}">'
                for name in ("SAMLRequest", "RelayState")
                if name in query
            )
            page = (
                '<!doctype html><html lang="en"><title>Test IdP</title><h1>Test SAML IdP</h1>'
                f'<form method="post" action="/sso/login">{fields}'
                '<label>Email <input name="email"></label>'
                '<button type="submit" id="idp-sign-in">Sign in</button></form>'
            )
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [page.encode()]
        if path == "/sso/login":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(size).decode()).items()}
            body = self.respond(form["SAMLRequest"], form["email"], form.get("RelayState", ""))
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [body.encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    def respond(self, saml_request: str, email: str, relay_state: str) -> str:
        """The auto-posting HTML form carrying the signed response to the SP's ACS."""
        server = Server(config=self._config())
        request = server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT).message
        acs = request.assertion_consumer_service_url
        identity = {"email": [email], **{k: [v] for k, v in self.users.get(email.lower(), {}).items()}}
        response = server.create_authn_response(
            identity,
            in_response_to=request.id,
            destination=acs,
            sp_entity_id=self.audience or request.issuer.text,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            authn={"class_ref": AUTHN_PASSWORD_PROTECTED, "authn_auth": self.entity_id},
            sign_assertion=self.sign_assertion,
            sign_response=False,
        )
        http_args = server.apply_binding(BINDING_HTTP_POST, str(response), acs, relay_state, response=True)
        return http_args["data"]


def auto_post_form(page: str) -> tuple[str, dict]:
    """The action and fields of the IdP's auto-posting form."""
    action = html.unescape(re.search(r'action="([^"]+)"', page).group(1))
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    }
    return action, fields


class OidcProvider:
    """panva's oidc-provider under node, with the given clients and accounts (claims per address)."""

    def __init__(self, clients: list[dict], accounts: dict[str, dict], jwks: dict | None = None):
        node = shutil.which("node")
        script = ROOT / "tests" / "organizations" / "sso" / "oidc_provider.mjs"
        if not node or not (ROOT / "node_modules" / "oidc-provider").exists():
            raise RuntimeError("node and the npm package oidc-provider are needed (make setup-dev)")
        self.port = free_port()
        self.issuer = f"http://localhost:{self.port}"
        self._config = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump({"clients": clients, "accounts": accounts, "jwks": jwks}, self._config)
        self._config.close()
        self._process = subprocess.Popen(
            [node, str(script), str(self.port), self._config.name],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self._process.stdout.readline()
        if "ready" not in line:
            self.stop()
            raise RuntimeError(f"oidc-provider did not start: {line!r}")

    def stop(self):
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        Path(self._config.name).unlink(missing_ok=True)
