"""SAML 2.0 service provider, one per identity provider, with pysaml2.

pysaml2 directly rather than djangosaml2: djangosaml2 reads one SP configuration from settings, while Moshi has
one IdP (metadata, entity id) per organization, set up in the app. pysaml2's `Saml2Client` takes a config built
at run time, so each IdP gets its own SP: entity id and ACS URL carry the IdP's id. Signed assertions are
required; the replay store and the organization checks live in sso_services."""

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import requests
from django.utils.translation import gettext as _

from .models import IdentityProvider

if TYPE_CHECKING:
    from saml2.config import SPConfig

# pysaml2 is imported inside the functions that use it: with its XML schemas it is ~30 MB that every web worker
# would carry from start-up, for the few requests that are a SAML sign-in.

METADATA_FETCH_TIMEOUT = 10  # seconds; an org admin waits for it on the settings page
METADATA_MAX_BYTES = 2_000_000


class SamlRefused(Exception):
    """A SAML response that proves nothing; the message is for the person signing in."""


@dataclass(frozen=True)
class SamlIdentity:
    assertion_id: str
    name_id: str
    attributes: dict[str, list[str]]
    expires_at: datetime


def sp_entity_id(idp: IdentityProvider, base_url: str) -> str:
    return f"{base_url}/sso/saml/{idp.pk}/metadata/"


def acs_url(idp: IdentityProvider, base_url: str) -> str:
    return f"{base_url}/sso/saml/{idp.pk}/acs/"


def _config(idp: IdentityProvider, base_url: str) -> "SPConfig":
    from saml2 import BINDING_HTTP_POST
    from saml2.config import SPConfig
    from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

    config = SPConfig()
    config.load(
        {
            "entityid": sp_entity_id(idp, base_url),
            "xmlsec_binary": shutil.which("xmlsec1"),
            "metadata": {"inline": [idp.saml_metadata_xml]},
            "service": {
                "sp": {
                    # Entra ID and Okta send claims under URIs pysaml2 has no converter for: keep them by name.
                    "allow_unknown_attributes": True,
                    "endpoints": {"assertion_consumer_service": [(acs_url(idp, base_url), BINDING_HTTP_POST)]},
                    "want_assertions_signed": True,  # the assertion itself, not only the envelope
                    "want_response_signed": False,  # Entra ID and Okta sign the assertion by default
                    "allow_unsolicited": False,  # IdP-initiated sign-in is not accepted: no request, no state
                    "authn_requests_signed": False,
                    "name_id_format": NAMEID_FORMAT_EMAILADDRESS,
                    "name_id_format_allow_create": True,
                }
            },
        }
    )
    return config


def sp_metadata(idp: IdentityProvider, base_url: str) -> str:
    from saml2.metadata import entity_descriptor

    return str(entity_descriptor(_config(idp, base_url)))


def login_redirect(idp: IdentityProvider, base_url: str, relay_state: str) -> tuple[str, str]:
    """The AuthnRequest for the IdP: its id (kept in the session) and the IdP's SSO URL to redirect to, which
    comes from the IdP's own metadata."""
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.client import Saml2Client

    client = Saml2Client(_config(idp, base_url))
    request_id, info = client.prepare_for_authenticate(
        entityid=idp.saml_entity_id, relay_state=relay_state, binding=BINDING_HTTP_REDIRECT
    )
    location = dict(info["headers"])["Location"]
    return request_id, location


def parse_response(idp: IdentityProvider, base_url: str, saml_response: str, request_id: str | None) -> SamlIdentity:
    """Check a response posted to the IdP's ACS: signed assertion from this IdP's key, for this SP, in time,
    answering the request this browser sent. Anything else raises SamlRefused with what was wrong."""
    if not request_id:
        raise SamlRefused(_("このブラウザから始めたログインではありません。ログイン画面からやり直してください。"))
    from saml2 import BINDING_HTTP_POST, SAMLError
    from saml2.client import Saml2Client
    from saml2.response import StatusError, UnsolicitedResponse, VerificationError
    from saml2.sigver import MissingKey, SignatureError
    from saml2.validate import ResponseLifetimeExceed, ToEarly

    client = Saml2Client(_config(idp, base_url))
    try:
        response = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST, outstanding={request_id: "/"})
    except (ResponseLifetimeExceed, ToEarly):
        raise SamlRefused(_("IdPからの応答の有効期限が切れています。もう一度ログインしてください。")) from None
    except VerificationError as error:
        if "Condition" in str(error):  # pysaml2's check of NotBefore / NotOnOrAfter
            raise SamlRefused(_("IdPからの応答の有効期限が切れています。もう一度ログインしてください。")) from None
        raise SamlRefused(_saml_problem(error)) from None
    except UnsolicitedResponse:
        raise SamlRefused(
            _("このブラウザから始めたログインではありません。ログイン画面からやり直してください。")
        ) from None
    except (SignatureError, MissingKey):
        raise SamlRefused(
            _("IdPの署名を確認できませんでした。IdPの証明書が変わった場合は管理者に連絡してください。")
        ) from None
    except StatusError:
        raise SamlRefused(_("IdPでのログインが完了しませんでした。")) from None
    except (SAMLError, ValueError, Exception) as error:  # pysaml2 raises bare Exception for some checks
        raise SamlRefused(_saml_problem(error)) from None
    if response is None:
        raise SamlRefused(_("IdPからの応答を確認できませんでした。"))
    if response.issuer() != idp.saml_entity_id:
        raise SamlRefused(_("このIdPからの応答ではありません（発行者が違います）。"))
    assertion = response.assertion
    if assertion is None or assertion.signature is None:
        raise SamlRefused(_("署名されていないアサーションは受け付けません。"))
    not_on_or_after = assertion.conditions.not_on_or_after if assertion.conditions else None
    return SamlIdentity(
        assertion_id=assertion.id,
        name_id=response.name_id.text.strip() if response.name_id is not None else "",
        attributes={key: [str(v) for v in values] for key, values in (response.ava or {}).items()},
        expires_at=_parse_instant(not_on_or_after),
    )


def _saml_problem(error: Exception) -> str:
    text = str(error).lower()
    if "audience" in text or "not for me" in text:
        return _("このサービス宛ての応答ではありません（オーディエンスが違います）。")
    if "signature" in text or "signed" in text:
        return _("IdPの署名を確認できませんでした。署名されたアサーションが必要です。")
    if "issuer" in text or "entity" in text:
        return _("このIdPからの応答ではありません（発行者が違います）。")
    return _("IdPからの応答を確認できませんでした。")


def _parse_instant(value: str | None) -> datetime:
    from saml2.time_util import str_to_time

    if not value:
        return datetime.now(UTC)
    return datetime(*str_to_time(value)[:6], tzinfo=UTC)


class MetadataInvalid(Exception):
    pass


def metadata_fetch(url: str) -> str:
    try:
        response = requests.get(url, timeout=METADATA_FETCH_TIMEOUT, stream=True)
        response.raise_for_status()
        body = response.raw.read(METADATA_MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise MetadataInvalid(_("メタデータを取得できませんでした: %(error)s") % {"error": error}) from None
    if len(body) > METADATA_MAX_BYTES:
        raise MetadataInvalid(_("メタデータが大きすぎます。"))
    return body.decode("utf-8", errors="replace")


def metadata_entity_id(xml: str) -> str:
    """The one IdP described by the metadata, which must have a signing certificate and a Redirect SSO URL."""
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.mdstore import InMemoryMetaData

    metadata = InMemoryMetaData(None, xml)
    try:
        metadata.load()
    except Exception:  # pysaml2 raises several types for unparsable XML
        raise MetadataInvalid(_("SAMLメタデータとして読めませんでした。")) from None
    idps = [entity_id for entity_id, entity in metadata.items() if "idpsso_descriptor" in entity]
    if len(idps) != 1:
        raise MetadataInvalid(_("メタデータにはIdPがちょうど1つ必要です。"))
    entity_id = idps[0]
    if not metadata.certs(entity_id, "idpsso", "signing"):
        raise MetadataInvalid(_("メタデータに署名用の証明書がありません。"))
    if not metadata.single_sign_on_service(entity_id, BINDING_HTTP_REDIRECT):
        raise MetadataInvalid(_("メタデータに HTTP-Redirect のシングルサインオンURLがありません。"))
    return entity_id
