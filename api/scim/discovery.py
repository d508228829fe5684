"""What Moshi's SCIM service supports (RFC 7643 §5–7): ServiceProviderConfig, ResourceTypes, Schemas."""

from .resources import ENTERPRISE, GROUP, USER

MAX_RESULTS = 200  # a page of Users or Groups; a larger `count` is cut to this

SERVICE_PROVIDER_CONFIG = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    "patch": {"supported": True},
    "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
    "filter": {"supported": True, "maxResults": MAX_RESULTS},
    "changePassword": {"supported": False},
    "sort": {"supported": False},
    "etag": {"supported": False},
    "authenticationSchemes": [
        {
            "type": "oauthbearertoken",
            "name": "Organization API token",
            "description": "Authorization: Bearer moshi_… — an organization API token with the scim scope.",
            "primary": True,
        }
    ],
    "meta": {"resourceType": "ServiceProviderConfig"},
}


def resource_types(base: str) -> list[dict]:
    return [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "A member of the organization",
            "schema": USER,
            "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
            "meta": {"resourceType": "ResourceType", "location": f"{base}ResourceTypes/User"},
        },
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "A department of the organization",
            "schema": GROUP,
            "meta": {"resourceType": "ResourceType", "location": f"{base}ResourceTypes/Group"},
        },
    ]


def _attribute(name, *, kind="string", required=False, multi=False, unique="none", mutability="readWrite", sub=None):
    attribute = {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "required": required,
        "caseExact": False,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": unique,
    }
    if sub:
        attribute["subAttributes"] = sub
    return attribute


SCHEMAS = [
    {
        "id": USER,
        "name": "User",
        "description": "A member: the account's address and name, and this organization's record of them",
        "attributes": [
            _attribute("userName", required=True, unique="server"),
            _attribute("externalId"),
            _attribute(
                "name",
                kind="complex",
                sub=[_attribute("formatted"), _attribute("familyName"), _attribute("givenName")],
            ),
            _attribute("displayName"),
            _attribute(
                "emails",
                kind="complex",
                multi=True,
                sub=[_attribute("value"), _attribute("type"), _attribute("primary", kind="boolean")],
            ),
            _attribute("active", kind="boolean"),
            _attribute(
                "groups",
                kind="complex",
                multi=True,
                mutability="readOnly",
                sub=[_attribute("value", mutability="readOnly"), _attribute("display", mutability="readOnly")],
            ),
        ],
    },
    {
        "id": ENTERPRISE,
        "name": "EnterpriseUser",
        "description": "Employee number (社員番号) and department (部署, by name)",
        "attributes": [_attribute("employeeNumber"), _attribute("department")],
    },
    {
        "id": GROUP,
        "name": "Group",
        "description": "A department; its members are the members in it (one department each)",
        "attributes": [
            _attribute("displayName", required=True, unique="server"),
            _attribute("externalId"),
            _attribute(
                "members",
                kind="complex",
                multi=True,
                sub=[_attribute("value", mutability="immutable"), _attribute("display", mutability="readOnly")],
            ),
        ],
    },
]


def schemas(base: str) -> list[dict]:
    return [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            **schema,
            "meta": {"resourceType": "Schema", "location": f"{base}Schemas/{schema['id']}"},
        }
        for schema in SCHEMAS
    ]
