"""SCIM 2.0 (RFC 7643/7644) at /scim/v2/ for the organization's identity provider (Entra ID, Okta), with an
organization API token that has the scim scope. Thin: parse the SCIM body, call an organizations selector or
service, answer SCIM. Everything is scoped to the token's organization; another's ids are a 404."""

from django.db import transaction
from django.http import Http404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from organizations import selectors, services
from organizations.models import ApiToken

from ..authentication import BearerTokenAuthentication, HasTokenScope, IsOrganizationClient, TokenRateThrottle
from ..base import MAX_ID
from . import discovery
from .errors import CONTENT_TYPE, ScimError, scim_exception_handler
from .filters import parse_filter
from .patch import apply_patch
from .resources import GROUP_SCHEMAS, LIST, USER_SCHEMAS, group_fields, group_resource, user_profile, user_resource


class ScimJSONParser(JSONParser):
    media_type = CONTENT_TYPE


class ScimRenderer(JSONRenderer):
    media_type = CONTENT_TYPE
    format = "scim"


class AlwaysScim(BaseContentNegotiation):
    """Providers ask for application/scim+json, application/json or */*: all get application/scim+json."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if request.content_type.split(";")[0].strip() == parser.media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ScimView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsOrganizationClient, HasTokenScope]
    required_scope = ApiToken.Scope.SCIM
    throttle_classes = [TokenRateThrottle]
    parser_classes = [ScimJSONParser, JSONParser]
    renderer_classes = [ScimRenderer]
    content_negotiation_class = AlwaysScim
    schema = None  # not part of the HR API's OpenAPI document; SCIM describes itself at /Schemas

    @property
    def organization_id(self) -> int:
        return self.request.user.organization_id

    def get_exception_handler(self):
        return scim_exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)  # people's data: never kept by a cache
        return response

    def base_url(self) -> str:
        return self.request.build_absolute_uri("/scim/v2/")

    def body(self):
        """The JSON body (malformed JSON is a 400 invalidSyntax through the exception handler)."""
        return self.request.data

    def page(self) -> tuple[int, int]:
        """startIndex (1-based) and count, as RFC 7644 §3.4.2.4: below 1 is 1, negative count is 0, a count
        above MAX_RESULTS is cut to it."""
        values = []
        for name, default in (("startIndex", 1), ("count", discovery.MAX_RESULTS)):
            raw = self.request.query_params.get(name, default)
            try:
                values.append(int(raw))
            except (TypeError, ValueError):
                raise ScimError(
                    _("%(name)s は整数にしてください。") % {"name": name}, scim_type="invalidValue"
                ) from None
        start, count = values
        return max(start, 1), min(max(count, 0), discovery.MAX_RESULTS)

    def list_response(self, rows, to_resource) -> Response:
        start, count = self.page()
        total = rows.count()
        resources = [to_resource(row) for row in rows[start - 1 : start - 1 + count]] if count else []
        return Response(
            {
                "schemas": [LIST],
                "totalResults": total,
                "itemsPerPage": len(resources),
                "startIndex": start,
                "Resources": resources,
            }
        )


def _id(value: str) -> int:
    """A resource id from the URL: anything but one of our integer ids is simply not found."""
    if not value.isascii() or not value.isdigit() or int(value) > MAX_ID:
        raise Http404
    return int(value)


def _excluded(resource: dict, request) -> dict:
    """excludedAttributes=members (Entra ID asks for groups without their members)."""
    excluded = {a.strip().lower() for a in request.query_params.get("excludedAttributes", "").split(",")}
    return {k: v for k, v in resource.items() if k.lower() not in excluded or k in ("id", "schemas")}


USER_FILTERS = {"userName": "user_name", "externalId": "external_id", "emails.value": "email", "id": "id"}
GROUP_FILTERS = {"displayName": "display_name", "externalId": "external_id", "id": "id"}


def _filtered(parsed, rows):
    if parsed and parsed[0] == "id":
        return rows.filter(pk=_id(parsed[1])) if parsed[1].isdigit() and len(parsed[1]) < 19 else rows.none()
    return rows


class UsersView(ScimView):
    def get(self, request):
        parsed = parse_filter(request.query_params.get("filter"), USER_FILTERS)
        lookup = {parsed[0]: parsed[1]} if parsed and parsed[0] != "id" else {}
        rows = _filtered(parsed, selectors.scim_members(organization_id=self.organization_id, **lookup))
        return self.list_response(rows, lambda member: _excluded(user_resource(member, request), request))

    def post(self, request):
        profile = user_profile(self.body())
        member = services.member_provision(organization=request.auth.organization, profile=profile)
        member = selectors.scim_member(organization_id=self.organization_id, membership_id=member.pk)
        resource = user_resource(member, request)
        return Response(resource, status=status.HTTP_201_CREATED, headers={"Location": resource["meta"]["location"]})


class UserView(ScimView):
    def member(self, pk: str):
        return selectors.scim_member(organization_id=self.organization_id, membership_id=_id(pk))

    def get(self, request, pk):
        return Response(_excluded(user_resource(self.member(pk), request), request))

    def put(self, request, pk):
        member = self.member(pk)
        services.member_reprovision(membership=member, profile=user_profile(self.body()))
        return Response(user_resource(self.member(pk), request))

    def patch(self, request, pk):
        with transaction.atomic():
            member = self.member(pk)
            patched = apply_patch(user_resource(member, request), self.body(), schemas=USER_SCHEMAS)
            services.member_reprovision(membership=member, profile=user_profile(patched))
        return Response(user_resource(self.member(pk), request))

    def delete(self, request, pk):
        services.member_deprovision(membership=self.member(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupsView(ScimView):
    def get(self, request):
        parsed = parse_filter(request.query_params.get("filter"), GROUP_FILTERS)
        lookup = {parsed[0]: parsed[1]} if parsed and parsed[0] != "id" else {}
        with_members = "members" not in request.query_params.get("excludedAttributes", "").lower()
        rows = selectors.scim_departments(organization_id=self.organization_id, members=with_members, **lookup)
        rows = _filtered(parsed, rows)
        return self.list_response(
            rows, lambda department: _excluded(group_resource(department, request, members=with_members), request)
        )

    def post(self, request):
        name, external_id, member_ids = group_fields(self.body())
        with transaction.atomic():
            members = _own_members(self.organization_id, member_ids)
            department = services.department_provision(
                organization=request.auth.organization, name=name, external_id=external_id
            )
            services.department_reprovision(
                department=department, name=name, external_id=external_id, add=members, remove=set()
            )
        department = selectors.scim_department(organization_id=self.organization_id, department_id=department.pk)
        resource = group_resource(department, request)
        return Response(resource, status=status.HTTP_201_CREATED, headers={"Location": resource["meta"]["location"]})


def _own_members(organization_id: int, member_ids) -> set[int]:
    """The ids, each of which must be a SCIM User of this organization (a 400 says which is not)."""
    own = selectors.scim_member_ids(organization_id=organization_id, membership_ids=member_ids)
    strangers = [str(i) for i in member_ids if i not in own]
    if strangers:
        raise ScimError(
            _("members の value「%(v)s」はこの組織のユーザーの ID ではありません。") % {"v": ", ".join(strangers[:5])},
            scim_type="invalidValue",
        )
    return own


class GroupView(ScimView):
    def department(self, pk: str):
        return selectors.scim_department(organization_id=self.organization_id, department_id=_id(pk))

    def get(self, request, pk):
        with_members = "members" not in request.query_params.get("excludedAttributes", "").lower()
        return Response(_excluded(group_resource(self.department(pk), request, members=with_members), request))

    def _replace(self, department, data):
        name, external_id, member_ids = group_fields(data)
        wanted = _own_members(self.organization_id, member_ids)
        current = {m.pk for m in department.scim_member_list}
        services.department_reprovision(
            department=department, name=name, external_id=external_id, add=wanted - current, remove=current - wanted
        )

    def put(self, request, pk):
        with transaction.atomic():
            self._replace(self.department(pk), self.body())
        return Response(group_resource(self.department(pk), request))

    def patch(self, request, pk):
        with transaction.atomic():
            department = self.department(pk)
            current = group_resource(department, request)
            self._replace(department, apply_patch(current, self.body(), schemas=GROUP_SCHEMAS))
        return Response(group_resource(self.department(pk), request))

    def delete(self, request, pk):
        services.department_deprovision(department=self.department(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServiceProviderConfigView(ScimView):
    def get(self, request):
        config = discovery.SERVICE_PROVIDER_CONFIG
        return Response(config | {"meta": config["meta"] | {"location": f"{self.base_url()}ServiceProviderConfig"}})


class ResourceTypesView(ScimView):
    def get(self, request, name=None):
        types = discovery.resource_types(self.base_url())
        if name is not None:
            return Response(_one(types, name))
        return Response(
            {
                "schemas": [LIST],
                "totalResults": len(types),
                "itemsPerPage": len(types),
                "startIndex": 1,
                "Resources": types,
            }
        )


class SchemasView(ScimView):
    def get(self, request, urn=None):
        schemas = discovery.schemas(self.base_url())
        if urn is not None:
            return Response(_one(schemas, urn))
        return Response(
            {
                "schemas": [LIST],
                "totalResults": len(schemas),
                "itemsPerPage": len(schemas),
                "startIndex": 1,
                "Resources": schemas,
            }
        )


def _one(resources: list[dict], resource_id: str) -> dict:
    for resource in resources:
        if resource["id"] == resource_id:
            return resource
    raise Http404
