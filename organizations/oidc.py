"""OpenID Connect relying party, one per identity provider: authorization code with PKCE (S256), state and nonce.

Authlib builds the authorization request and exchanges the code (its requests client); joserfc, the JOSE library
Authlib's authors moved to, checks the id_token: signature against the IdP's JWKS, iss, aud, exp and nonce.
Discovery documents and key sets are cached briefly, and the key set is fetched again once when a token names
a key it does not hold (the IdP rotated its keys)."""

from dataclasses import dataclass

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django.core.cache import cache
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from .models import IdentityProvider

HTTP_TIMEOUT = 10  # seconds
CACHE_SECONDS = 300
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]  # never "none", never HMAC
SCOPE = "openid email profile"


class OidcRefused(Exception):
    """A callback that proves nothing; the message is for the person signing in."""


class DiscoveryFailed(Exception):
    pass


@dataclass(frozen=True)
class AuthorizationStart:
    url: str
    state: str
    nonce: str
    code_verifier: str


def discovery(issuer: str, *, fresh: bool = False) -> dict:
    """The IdP's openid-configuration, whose issuer must be exactly the configured one (OIDC Discovery §4.3)."""
    key = f"oidc-discovery:{issuer}"
    document = None if fresh else cache.get(key)
    if document is None:
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            raise DiscoveryFailed(
                _("OpenID Connect の設定を取得できませんでした: %(error)s") % {"error": error}
            ) from None
        if document.get("issuer") != issuer:
            raise DiscoveryFailed(
                _("発行者 (issuer) が設定と一致しません: %(issuer)s") % {"issuer": document.get("issuer")}
            )
        for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not document.get(needed):
                raise DiscoveryFailed(_("OpenID Connect の設定に %(name)s がありません。") % {"name": needed})
        cache.set(key, document, CACHE_SECONDS)
    return document


def _key_set(jwks_uri: str, *, fresh: bool = False) -> KeySet:
    key = f"oidc-jwks:{jwks_uri}"
    data = None if fresh else cache.get(key)
    if data is None:
        try:
            response = requests.get(jwks_uri, timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError):
            raise OidcRefused(
                _("IdPの公開鍵を取得できませんでした。しばらくしてからもう一度お試しください。")
            ) from None
        cache.set(key, data, CACHE_SECONDS)
    return KeySet.import_key_set(data)


def _session(idp: IdentityProvider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=idp.oidc_client_id,
        client_secret=idp.oidc_client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def authorization_start(idp: IdentityProvider, redirect_uri: str, login_hint: str = "") -> AuthorizationStart:
    """Where to send the browser, with the state, nonce and PKCE verifier the callback will need."""
    document = discovery(idp.oidc_issuer)
    state, nonce, code_verifier = generate_token(32), generate_token(32), generate_token(64)
    extra = {"nonce": nonce}
    if login_hint:
        extra["login_hint"] = login_hint  # Entra ID, Google and Okta skip their own address prompt with it
    with _session(idp, redirect_uri) as session:
        url, _state = session.create_authorization_url(
            document["authorization_endpoint"], state=state, code_verifier=code_verifier, **extra
        )
    return AuthorizationStart(url=url, state=state, nonce=nonce, code_verifier=code_verifier)


def callback_claims(idp: IdentityProvider, redirect_uri: str, *, code: str, code_verifier: str, nonce: str) -> dict:
    """Exchange the code (with the PKCE verifier) and return the id_token's claims, checked, with the
    userinfo endpoint's claims added (many IdPs put email and custom claims only there)."""
    document = discovery(idp.oidc_issuer)
    with _session(idp, redirect_uri) as session:
        try:
            token = session.fetch_token(
                document["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=code_verifier
            )
        # Authlib raises its OAuthError (not an OAuth2Error) for the token endpoint's error answers, e.g.
        # invalid_grant for a code already used; both share AuthlibBaseError.
        except (AuthlibBaseError, requests.RequestException, ValueError):
            raise OidcRefused(_("IdPでの認可コードの確認に失敗しました。もう一度ログインしてください。")) from None
        if not token.get("id_token"):
            raise OidcRefused(_("IdPから ID トークンが返りませんでした。"))
        claims = id_token_claims(idp, token["id_token"], nonce=nonce)
        userinfo_endpoint = document.get("userinfo_endpoint")
        if userinfo_endpoint:
            try:
                response = session.get(userinfo_endpoint, timeout=HTTP_TIMEOUT)
                response.raise_for_status()
                userinfo = response.json()
            except (requests.RequestException, ValueError):
                userinfo = {}
            # Userinfo about someone else is ignored (OIDC Core §5.3.2).
            if userinfo.get("sub") == claims["sub"]:
                claims = {**userinfo, **claims}
    return claims


def id_token_claims(idp: IdentityProvider, id_token: str, *, nonce: str) -> dict:
    """The id_token's claims once its signature (JWKS), iss, aud, exp and nonce are right."""
    document = discovery(idp.oidc_issuer)
    try:
        try:
            token = jwt.decode(id_token, _key_set(document["jwks_uri"]), algorithms=SIGNING_ALGORITHMS)
        except ValueError:  # a key id the cached set does not have: the IdP may have rotated its keys
            token = jwt.decode(id_token, _key_set(document["jwks_uri"], fresh=True), algorithms=SIGNING_ALGORITHMS)
        jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": idp.oidc_issuer},
            aud={"essential": True, "value": idp.oidc_client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except BadSignatureError:
        raise OidcRefused(_("IDトークンの署名を確認できませんでした。")) from None
    except ExpiredTokenError:
        raise OidcRefused(_("IDトークンの有効期限が切れています。もう一度ログインしてください。")) from None
    except (InvalidClaimError, MissingClaimError) as error:
        raise OidcRefused(_claim_problem(error.claim)) from None
    except (JoseError, ValueError):
        raise OidcRefused(_("IDトークンを確認できませんでした。")) from None
    claims = token.claims
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != idp.oidc_client_id:
        raise OidcRefused(_claim_problem("aud"))
    return claims


def _claim_problem(claim: str) -> str:
    return {
        "iss": _("このIdPが発行したIDトークンではありません（発行者が違います）。"),
        "aud": _("このサービス宛てのIDトークンではありません（オーディエンスが違います）。"),
        "nonce": _("ログインの確認値 (nonce) が一致しません。ログイン画面からやり直してください。"),
        "exp": _("IDトークンの有効期限が切れています。もう一度ログインしてください。"),
    }.get(claim, _("IDトークンを確認できませんでした。"))
