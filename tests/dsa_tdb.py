"""The EU DSA Transparency Database as the tests know it: its published rules as a JSON Schema plus the checks a
schema cannot express, and a stand-in for its API on 127.0.0.1 (the real one cannot be reached from here).

Written from the database's public repository (github.com/digital-services-act/transparency-database, commit
69e80a0, 2026-06-24), independently of klean.domain.dsa so that one checks the other:
- app/Http/Requests/StatementStoreRequest.php and GroupedSubmissionsService::multi_rules: required fields,
  enumerations, required_if / exclude_unless pairs, max lengths, date formats and ranges, the puid pattern;
- app/Models/Statement.php: the enumerations; EuropeanCountriesService: the 30 EU/EEA codes;
- resources/markdown/api-documentation.md: territorial scope required, end dates on or after the application date,
  "please take care to not submit ANY personal data", the bulk endpoint (1 to 100 statements, errors indexed
  statement_<i>, duplicate puids refused), GET /api/v1/statement/existing-puid/{puid} (302 found, 404 not).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema

COUNTRIES = ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT",
             "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"]
VISIBILITY = ["DECISION_VISIBILITY_CONTENT_REMOVED", "DECISION_VISIBILITY_CONTENT_DISABLED",
              "DECISION_VISIBILITY_CONTENT_DEMOTED", "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
              "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED", "DECISION_VISIBILITY_CONTENT_LABELLED",
              "DECISION_VISIBILITY_OTHER"]
MONETARY = ["DECISION_MONETARY_SUSPENSION", "DECISION_MONETARY_TERMINATION", "DECISION_MONETARY_OTHER"]
PROVISION = ["DECISION_PROVISION_PARTIAL_SUSPENSION", "DECISION_PROVISION_TOTAL_SUSPENSION",
             "DECISION_PROVISION_PARTIAL_TERMINATION", "DECISION_PROVISION_TOTAL_TERMINATION"]
ACCOUNT = ["DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"]
ACCOUNT_TYPE = ["ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"]
GROUND = ["DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"]
CONTENT_TYPE = ["CONTENT_TYPE_APP", "CONTENT_TYPE_AUDIO", "CONTENT_TYPE_IMAGE", "CONTENT_TYPE_PRODUCT",
                "CONTENT_TYPE_SYNTHETIC_MEDIA", "CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO", "CONTENT_TYPE_OTHER"]
CATEGORY = ["STATEMENT_CATEGORY_" + c for c in (
    "ANIMAL_WELFARE", "CONSUMER_INFORMATION", "CYBER_VIOLENCE", "CYBER_VIOLENCE_AGAINST_WOMEN",
    "DATA_PROTECTION_AND_PRIVACY_VIOLATIONS", "ILLEGAL_OR_HARMFUL_SPEECH", "INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", "NOT_SPECIFIED_NOTICE", "OTHER_VIOLATION_TC",
    "PROTECTION_OF_MINORS", "RISK_FOR_PUBLIC_SECURITY", "SCAMS_AND_FRAUD", "SELF_HARM",
    "UNSAFE_AND_PROHIBITED_PRODUCTS", "VIOLENCE")]
KEYWORD = ["KEYWORD_" + k for k in (
    "ADULT_SEXUAL_MATERIAL", "AGE_SPECIFIC_RESTRICTIONS", "AGE_SPECIFIC_RESTRICTIONS_MINORS", "ANIMAL_HARM",
    "BIOMETRIC_DATA_BREACH", "BULLYING_AGAINST_GIRLS", "CHILD_SEXUAL_ABUSE_MATERIAL",
    "CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE", "CONTENT_PROMOTING_EATING_DISORDERS", "COORDINATED_HARM",
    "COPYRIGHT_INFRINGEMENT", "CYBER_BULLYING_INTIMIDATION", "CYBER_HARASSMENT", "CYBER_HARASSMENT_AGAINST_WOMEN",
    "CYBER_INCITEMENT", "CYBER_STALKING", "CYBER_STALKING_AGAINST_WOMEN", "DATA_FALSIFICATION", "DEFAMATION",
    "DESIGN_INFRINGEMENT", "DISCRIMINATION", "FEMALE_GENDERED_DISINFORMATION", "GEOGRAPHIC_INDICATIONS_INFRINGEMENT",
    "GEOGRAPHICAL_REQUIREMENTS", "GOODS_SERVICES_NOT_PERMITTED", "GROOMING_SEXUAL_ENTICEMENT_MINORS", "HATE_SPEECH",
    "HIDDEN_ADVERTISEMENT", "HUMAN_EXPLOITATION", "HUMAN_TRAFFICKING", "ILLEGAL_ORGANIZATIONS",
    "IMPERSONATION_ACCOUNT_HIJACKING", "INAUTHENTIC_ACCOUNTS", "INAUTHENTIC_LISTINGS", "INAUTHENTIC_USER_REVIEWS",
    "INCITEMENT_AGAINST_WOMEN", "INCITEMENT_VIOLENCE_HATRED", "INSUFFICIENT_INFORMATION_ON_TRADERS",
    "LANGUAGE_REQUIREMENTS", "MISINFORMATION_DISINFORMATION", "MISLEADING_INFO_CONSUMER_RIGHTS",
    "MISLEADING_INFO_GOODS_SERVICES", "MISSING_PROCESSING_GROUND", "NON_CONSENSUAL_IMAGE_SHARING",
    "NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN", "NON_CONSENSUAL_MATERIAL_DEEPFAKE",
    "NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN", "NONCOMPLIANCE_PRICING", "NUDITY", "PATENT_INFRINGEMENT",
    "PHISHING", "PROHIBITED_PRODUCTS", "PYRAMID_SCHEMES", "RIGHT_TO_BE_FORGOTTEN", "RISK_ENVIRONMENTAL_DAMAGE",
    "RISK_PUBLIC_HEALTH", "SELF_MUTILATION", "STALKING", "SUICIDE", "TERRORIST_CONTENT", "TRADE_SECRET_INFRINGEMENT",
    "TRADEMARK_INFRINGEMENT", "TRAFFICKING_WOMEN_GIRLS", "UNLAWFUL_SALE_ANIMALS", "UNSAFE_CHALLENGES",
    "UNSAFE_PRODUCTS", "VIOLATION_EU_LAW", "VIOLATION_NATIONAL_LAW", "OTHER")]
SOURCE = ["SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER", "SOURCE_TYPE_OTHER_NOTIFICATION", "SOURCE_VOLUNTARY"]
AUTOMATED_DECISION = ["AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED"]
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
END_DATES = ["end_date_visibility_restriction", "end_date_monetary_restriction", "end_date_service_restriction",
             "end_date_account_restriction"]
FREE_TEXT = ["decision_visibility_other", "decision_monetary_other", "category_specification_other",
             "illegal_content_legal_ground", "illegal_content_explanation", "incompatible_content_ground",
             "incompatible_content_explanation", "content_type_other", "decision_facts", "source_identity"]


def _text(limit: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": limit}


def _nullable_enum(values: list[str]) -> dict[str, Any]:
    return {"enum": [None, *values]}


def _array_of(values: list[str], *, required: bool = False) -> dict[str, Any]:
    return {"type": "array", "items": {"enum": values}, **({"minItems": 1} if required else {})}


def _has(field: str) -> dict[str, Any]:
    """`field` is there and not empty (Laravel's `required`)."""
    return {"required": [field], "properties": {field: {"not": {"enum": [None, "", []]}}}}


def _absent(field: str) -> dict[str, Any]:
    return {"not": _has(field)}


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "DSA Transparency Database statement of reasons (API v1)",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "decision_visibility": {"anyOf": [{"type": "null"}, _array_of(VISIBILITY)]},
        "decision_visibility_other": _text(500),
        "end_date_visibility_restriction": {"type": ["string", "null"], "pattern": DAY},
        "decision_monetary": _nullable_enum(MONETARY),
        "decision_monetary_other": _text(500),
        "end_date_monetary_restriction": {"type": ["string", "null"], "pattern": DAY},
        "decision_provision": _nullable_enum(PROVISION),
        "end_date_service_restriction": {"type": ["string", "null"], "pattern": DAY},
        "decision_account": _nullable_enum(ACCOUNT),
        "end_date_account_restriction": {"type": ["string", "null"], "pattern": DAY},
        "account_type": _nullable_enum(ACCOUNT_TYPE),
        "decision_ground": {"enum": GROUND},
        "decision_ground_reference_url": {"type": ["string", "null"], "maxLength": 500, "pattern": r"^https?://\S+$"},
        "illegal_content_legal_ground": _text(500),
        "illegal_content_explanation": _text(2000),
        "incompatible_content_ground": _text(500),
        "incompatible_content_explanation": _text(2000),
        "incompatible_content_illegal": {"enum": ["Yes", "No"]},
        "category": {"enum": CATEGORY},
        "category_addition": _array_of(CATEGORY),
        "category_specification": {"anyOf": [{"type": "null"}, _array_of(KEYWORD)]},
        "category_specification_other": _text(500),
        "content_type": _array_of(CONTENT_TYPE, required=True),
        "content_type_other": _text(500),
        "content_id": {"type": ["object", "null"], "additionalProperties": False,
                       "properties": {"EAN-13": {"type": "string", "pattern": "^[0-9]{13}$"}}},
        "content_date": {"type": "string", "pattern": DAY},
        "application_date": {"type": "string", "pattern": DAY},
        "territorial_scope": _array_of(COUNTRIES, required=True),
        "content_language": {"type": ["string", "null"], "pattern": "^[A-Z]{2}$"},
        "decision_facts": _text(5000),
        "source_type": {"enum": SOURCE},
        "source_identity": {"type": ["string", "null"], "maxLength": 500},
        "automated_detection": {"enum": ["Yes", "No"]},
        "automated_decision": {"enum": AUTOMATED_DECISION},
        "puid": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": "^[a-zA-Z0-9-_]+$"},
    },
    "required": ["decision_ground", "content_type", "category", "content_date", "application_date",
                 "territorial_scope", "decision_facts", "source_type", "automated_detection", "automated_decision",
                 "puid"],
    "anyOf": [_has("decision_visibility"), _has("decision_monetary"), _has("decision_provision"),
              _has("decision_account")],
    "allOf": [
        {"if": {"properties": {"decision_ground": {"const": "DECISION_GROUND_ILLEGAL_CONTENT"}}},
         "then": {"allOf": [_has("illegal_content_legal_ground"), _has("illegal_content_explanation"),
                            # exclude_unless: the API would drop them without a word; sending them is a mistake
                            _absent("incompatible_content_ground"), _absent("incompatible_content_explanation"),
                            _absent("incompatible_content_illegal")]}},
        {"if": {"properties": {"decision_ground": {"const": "DECISION_GROUND_INCOMPATIBLE_CONTENT"}}},
         "then": {"allOf": [_has("incompatible_content_ground"), _has("incompatible_content_explanation"),
                            _absent("illegal_content_legal_ground"), _absent("illegal_content_explanation")]}},
        {"if": {"required": ["decision_visibility"], "properties": {
            "decision_visibility": {"type": "array", "contains": {"const": "DECISION_VISIBILITY_OTHER"}}}},
         "then": _has("decision_visibility_other")},
        {"if": {"required": ["decision_monetary"],
                "properties": {"decision_monetary": {"const": "DECISION_MONETARY_OTHER"}}},
         "then": _has("decision_monetary_other")},
        {"if": {"properties": {"content_type": {"type": "array", "contains": {"const": "CONTENT_TYPE_OTHER"}}}},
         "then": _has("content_type_other")},
        {"if": {"properties": {"source_type": {"const": "SOURCE_VOLUNTARY"}}},
         "then": _absent("source_identity")},
    ],
}
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

# Personal data the tests look for in free text, with their own patterns (not Klean's).
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b")
PHONE = re.compile(r"(\+\d{2}[\s-]?)?\b0\d{1,2}[\s-]?\d{3,4}[\s-]?\d{4}\b")


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and re.fullmatch(DAY, value) else None
    except ValueError:
        return None


def errors(statement: Mapping[str, Any], *, people: Iterable[str] = ()) -> dict[str, list[str]]:
    """Why the database would refuse this statement, by field (empty: it would take it); `people` are account
    names, user names and addresses that must not appear in any free-text field."""
    out: dict[str, list[str]] = {}
    for err in VALIDATOR.iter_errors(statement):
        named = re.match(r"'(\w+)' is a required property", err.message) if err.validator == "required" else None
        field = str(err.path[0]) if err.path else named.group(1) if named else "statement"
        out.setdefault(field, []).append(err.message[:300])
    for field, earliest in (("content_date", date(2000, 1, 1)), ("application_date", date(2020, 1, 1))):
        day = _date(statement.get(field))
        if statement.get(field) is not None and day is None:
            out.setdefault(field, []).append(f"The {field.replace('_', ' ')} does not match the format YYYY-MM-DD.")
        elif day is not None and day < earliest:
            out.setdefault(field, []).append(f"must be on or after {earliest}")
    application = _date(statement.get("application_date"))
    for field in ["content_date", "application_date", *END_DATES]:
        day = _date(statement.get(field))
        if statement.get(field) and day is None:
            out.setdefault(field, []).append("not a date")
        elif day is not None and day > date(2038, 1, 1):
            out.setdefault(field, []).append("must be on or before 2038-01-01")
        if field in END_DATES and day is not None and application is not None and day < application:
            out.setdefault(field, []).append("The date must be after or equal to the application date.")
    names = [p for p in people if p and len(p) >= 3]
    for field in FREE_TEXT:
        text = statement.get(field)
        if not isinstance(text, str):
            continue
        if EMAIL.search(text) or PHONE.search(text):
            out.setdefault(field, []).append("personal data: an e-mail address or telephone number")
        for name in names:
            if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.IGNORECASE):
                out.setdefault(field, []).append(f"personal data: names {name!r}")
    return out


# ---- the stand-in API ---------------------------------------------------------------------------------


class StandIn:
    """The Transparency Database API on 127.0.0.1: bearer token, the bulk and single endpoints with the rules
    above, unique puids per platform, the existing-puid lookup. `script` makes requests to the bulk endpoint fail on
    purpose, one entry per request: "500", "429" (Retry-After: 0), "drop" (store the batch, then close the
    connection without answering: the sender cannot know it arrived) or "ok"."""

    def __init__(self, token: str = "test-token", *, people: Iterable[str] = ()) -> None:
        self.token = token
        self.people = list(people)
        self.stored: dict[str, dict[str, Any]] = {}
        self.posted: Counter[str] = Counter()  # puid -> requests that carried it
        self.accepted: Counter[str] = Counter()  # puid -> times stored (must never exceed 1)
        self.lookups: Counter[str] = Counter()
        self.requests: list[tuple[str, str, int]] = []  # method, path, status
        self.script: list[str] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _store(self, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for s in statements:
            made = {**s, "uuid": str(uuid.uuid4()), "created_at": time.strftime("%Y-%m-%d %H:%M:%S")}
            self.stored[s["puid"]] = made
            self.accepted[s["puid"]] += 1
            out.append(made)
        return out

    def bulk(self, payload: Any) -> tuple[int, dict[str, Any], str | None]:
        """The bulk endpoint: (status, body, what the script asked for)."""
        statements = payload.get("statements") if isinstance(payload, dict) else None
        if not isinstance(statements, list) or not 1 <= len(statements) <= 100:
            return 422, {"message": "The statements field must have between 1 and 100 items.",
                         "errors": {"statements": ["The statements field must have between 1 and 100 items."]}}, None
        with self.lock:
            for s in statements:
                if isinstance(s, dict) and isinstance(s.get("puid"), str):
                    self.posted[s["puid"]] += 1
            action = self.script.pop(0) if self.script else "ok"
            if action == "500":
                return 500, {"message": "Server Error"}, action
            if action == "429":
                return 429, {"message": "Too Many Attempts."}, action
            found = {f"statement_{i}": errs for i, s in enumerate(statements)
                     if (errs := errors(s if isinstance(s, dict) else {}, people=self.people))}
            if found:
                return 422, {"errors": found}, action
            puids = [s["puid"] for s in statements]
            twice = [p for p, n in Counter(puids).items() if n > 1]
            existing = twice or [p for p in puids if p in self.stored]
            if existing:
                message = "The platform identifier(s) are not all unique within this call."
                return 422, {"message": message, "errors": {"puid": [message], "existing_puids": existing}}, action
            return 201, {"statements": self._store(statements)}, action

    @contextmanager
    def running(self) -> Iterator[StandIn]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
                stand_in.requests.append((self.command, self.path, status))

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {stand_in.token}":
                    self._reply(401, {"message": "Unauthenticated."})
                    return False
                return True

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                prefix = "/api/v1/statement/existing-puid/"
                if self.path.startswith(prefix):
                    puid = self.path[len(prefix):]
                    stand_in.lookups[puid] += 1
                    if puid in stand_in.stored:
                        self._reply(302, {"message": "statement of reason found", "puid": puid})
                    else:
                        self._reply(404, {"message": "statement of reason not found", "puid": puid})
                    return
                self._reply(404, {"message": "Not Found"})

            def do_POST(self) -> None:
                if not self._authorised():
                    return
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length) or b"null")
                except ValueError:
                    self._reply(400, {"message": "not JSON"})
                    return
                if self.path == "/api/v1/statements":
                    status, body, action = stand_in.bulk(payload)
                    if action == "drop" and status == 201:
                        stand_in.requests.append(("POST", self.path, 0))
                        self.close_connection = True
                        self.connection.shutdown(2)  # stored, never answered
                        return
                    self._reply(status, body, {"Retry-After": "0"} if status == 429 else None)
                elif self.path == "/api/v1/statement":
                    status, body, _ = stand_in.bulk({"statements": [payload]})
                    if status == 201:
                        body = body["statements"][0]
                    elif status == 422 and "statement_0" in body.get("errors", {}):
                        body = {"message": "The given data was invalid.", "errors": body["errors"]["statement_0"]}
                    self._reply(status, body)
                else:
                    self._reply(404, {"message": "Not Found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(5)
