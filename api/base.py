"""What every API view shares: who is asking (an organization, by its token), strict query parameters, no
caching, and ids that must be this organization's."""

from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers

from audit.services import Action, record
from common.replica import replica_reads
from organizations import selectors as organization_selectors
from organizations.models import ApiToken
from questions.models import Exam

from .authentication import BearerTokenAuthentication, HasTokenScope, IsOrganizationClient, TokenRateThrottle

MAX_ID = 2**63 - 1  # PostgreSQL bigint
EXAM_CODES = [Exam.G_KENTEI, Exam.E_SHIKAKU, Exam.GENAI_TEST]


class OrganizationAPIView:
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsOrganizationClient, HasTokenScope]
    required_scope = ApiToken.Scope.HR_READ
    throttle_classes = [TokenRateThrottle]
    query_class: type[serializers.Serializer] | None = None  # the query parameters of views without a filterset

    @property
    def organization_id(self) -> int | None:
        # None while drf-spectacular builds the schema with a fake request: querysets are then empty.
        return getattr(self.request.user, "organization_id", None)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.organization_id is not None:
            # One audit event per request, naming the endpoint: one INSERT, never one per row returned.
            record(
                organization_id=self.organization_id,
                action=Action.API_REQUEST,
                token_id=request.user.token_id,
                details={"endpoint": request.path, "method": request.method, "query": request.GET.urlencode()[:500]},
            )
        # A misspelt filter (?departmnet=3) would otherwise be ignored and return the whole organization.
        allowed = self.query_parameters()
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise exceptions.ValidationError(
                _("使えないパラメータです: %(unknown)s。使えるもの: %(allowed)s")
                % {"unknown": ", ".join(unknown), "allowed": ", ".join(sorted(allowed)) or "—"}
            )
        # Who is asking was settled above on the primary (a revoked token stops at once); what they read may come
        # from the replica (common.replica), until finalize_response.
        self._replica_reads = replica_reads()
        self._replica_reads.__enter__()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if replica := getattr(self, "_replica_reads", None):
            self._replica_reads = None
            replica.__exit__(None, None, None)
        add_never_cache_headers(response)  # an organization's people data: never kept by a cache
        return response

    def parse_query(self, request) -> dict:
        """The view's query parameters, validated by its query_class (a `department` must be this organization's)."""
        query = self.query_class(data=request.query_params)
        query.is_valid(raise_exception=True)
        organization_department(self.organization_id, query.validated_data.get("department"))
        return query.validated_data

    def query_parameters(self) -> set[str]:
        names = {"format"}
        if filterset := getattr(self, "filterset_class", None):
            names |= set(filterset.base_filters)
        if self.query_class:
            names |= set(self.query_class().fields)
        if pagination_class := getattr(self, "pagination_class", None):
            names |= {pagination_class.cursor_query_param, pagination_class.page_size_query_param}
        return names


def organization_member(organization_id: int | None, value: int) -> int:
    """A membership id of this organization, or a 400 naming the parameter (never an empty list)."""
    if not organization_selectors.is_member_of(organization_id=organization_id, membership_id=value):
        raise exceptions.ValidationError({"member": [_("この組織のメンバーのIDではありません。")]})
    return value


def organization_department(organization_id: int | None, value: int | None) -> int | None:
    """A department id of this organization, or 0 for members without one; anything else is a 400."""
    if value and not organization_selectors.is_department_of(organization_id=organization_id, department_id=value):
        raise exceptions.ValidationError({"department": [_("この組織の部署のIDではありません（0 は部署なし）。")]})
    return value


# --- Query parameters whose errors say what is allowed -----------------------------------------------------------
# DRF's and Django's own messages say only that a value is wrong ("この値は所要のパターンにマッチしません。"); an
# HR developer reading a 400 needs the values that would work. Messages are Japanese in the source and English
# through the catalogue, like every other string.


def shown(value) -> str:
    """A sent value as quoted back in a message: never a whole 5,000-character string."""
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def refused(value, allowed: str) -> str:
    return _("「%(value)s」は使えません。使えるもの: %(allowed)s") % {"value": shown(value), "allowed": allowed}


def missing(allowed: str) -> str:
    return _("指定してください。使えるもの: %(allowed)s") % {"allowed": allowed}


class Choice(serializers.ChoiceField):
    """One of a few codes (exam=g_kentei); a wrong or missing one is answered with the list."""

    def allowed(self) -> str:
        return ", ".join(map(str, self.choices))

    def fail(self, key, **kwargs):
        if key == "invalid_choice":
            raise serializers.ValidationError(refused(kwargs.get("input", ""), self.allowed()), code=key)
        if key in ("required", "null", "blank"):
            raise serializers.ValidationError(missing(self.allowed()), code=key)
        super().fail(key, **kwargs)


class ChoiceList(serializers.CharField):
    """Comma-separated values, each one of `choices` (group_by=department,month); validated to a list."""

    def __init__(self, *, choices: list[str], **kwargs):
        self.choices = choices
        super().__init__(**kwargs)

    def allowed(self) -> str:
        return _("%(choices)s（カンマ区切りで複数指定できます）") % {"choices": ", ".join(self.choices)}

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        values = text.split(",")
        if not all(value in self.choices for value in values):
            raise serializers.ValidationError(refused(text, self.allowed()), code="invalid")
        return values

    def get_default(self):
        default = super().get_default()
        return default.split(",") if isinstance(default, str) else default

    def fail(self, key, **kwargs):
        if key in ("required", "null", "blank"):
            raise serializers.ValidationError(missing(self.allowed()), code=key)
        super().fail(key, **kwargs)


class MonthField(serializers.DateField):
    """A month as YYYY-MM (a full date is accepted too); its first day."""

    default_error_messages = {"invalid": gettext_lazy("YYYY-MM の形で指定してください（例: 2026-04）。")}

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value) == 7:
            value = f"{value}-01"
        return super().to_internal_value(value).replace(day=1)


DEPARTMENT_ID = gettext_lazy("部署のID（0 以上の整数。0 は部署なし）で指定してください。")


class DepartmentIdField(serializers.IntegerField):
    default_error_messages = {key: DEPARTMENT_ID for key in ("invalid", "min_value", "max_value", "max_string_length")}

    def __init__(self, **kwargs):
        super().__init__(min_value=0, max_value=MAX_ID, **kwargs)


class BlueprintSlugField(serializers.SlugField):
    default_error_messages = {
        "invalid": gettext_lazy(
            "出題形式のスラッグで指定してください（英小文字・数字・ハイフン。例: g-kentei-online）。"
        )
    }
