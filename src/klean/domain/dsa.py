"""The EU DSA Transparency Database's rules for a statement of reasons, as its API applies them.

Read from the database's public source (github.com/digital-services-act/transparency-database, commit 69e80a0 of
2026-06-24): app/Http/Requests/StatementStoreRequest.php and GroupedSubmissionsService::multi_rules (the bulk
endpoint, POST /api/v1/statements with {"statements": [1..100]}), the enumerations of app/Models/Statement.php,
EuropeanCountriesService and EuropeanLanguagesService, and resources/markdown/api-documentation.md (end dates on or
after the application date, territorial scope required, no personal data: Art. 24(5) DSA).

`problems` is the check every statement passes before Klean writes or sends it; a statement with problems is
reported with them and never sent. `redact` and `handle` keep people out of the free text.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

# The 30 EU/EEA countries the API accepts (ISO 3166-1 alpha-2; Greece is GR, not EL).
EEA = ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
       "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO")
EU = tuple(c for c in EEA if c not in ("IS", "LI", "NO"))
_NOT_COUNTRIES = {"EL": "Greece is GR", "UK": "the United Kingdom is not in the EU/EEA",
                  "GB": "the United Kingdom is not in the EU/EEA", "CH": "Switzerland is not in the EU/EEA"}

DECISION_VISIBILITIES = (
    "DECISION_VISIBILITY_CONTENT_REMOVED", "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED", "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED", "DECISION_VISIBILITY_OTHER")
DECISION_MONETARIES = ("DECISION_MONETARY_SUSPENSION", "DECISION_MONETARY_TERMINATION", "DECISION_MONETARY_OTHER")
DECISION_PROVISIONS = ("DECISION_PROVISION_PARTIAL_SUSPENSION", "DECISION_PROVISION_TOTAL_SUSPENSION",
                       "DECISION_PROVISION_PARTIAL_TERMINATION", "DECISION_PROVISION_TOTAL_TERMINATION")
DECISION_ACCOUNTS = ("DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED")
ACCOUNT_TYPES = ("ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE")
DECISION_GROUNDS = ("DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT")
CONTENT_TYPES = ("CONTENT_TYPE_APP", "CONTENT_TYPE_AUDIO", "CONTENT_TYPE_IMAGE", "CONTENT_TYPE_PRODUCT",
                 "CONTENT_TYPE_SYNTHETIC_MEDIA", "CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO", "CONTENT_TYPE_OTHER")
CATEGORIES = (
    "STATEMENT_CATEGORY_ANIMAL_WELFARE", "STATEMENT_CATEGORY_CONSUMER_INFORMATION", "STATEMENT_CATEGORY_CYBER_VIOLENCE",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN", "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE",
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC", "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "STATEMENT_CATEGORY_SELF_HARM",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS", "STATEMENT_CATEGORY_VIOLENCE")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


KEYWORDS = tuple(f"KEYWORD_{k}" for k in _words(
    "ADULT_SEXUAL_MATERIAL AGE_SPECIFIC_RESTRICTIONS AGE_SPECIFIC_RESTRICTIONS_MINORS ANIMAL_HARM "
    "BIOMETRIC_DATA_BREACH BULLYING_AGAINST_GIRLS CHILD_SEXUAL_ABUSE_MATERIAL CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE "
    "CONTENT_PROMOTING_EATING_DISORDERS COORDINATED_HARM COPYRIGHT_INFRINGEMENT CYBER_BULLYING_INTIMIDATION "
    "CYBER_HARASSMENT CYBER_HARASSMENT_AGAINST_WOMEN CYBER_INCITEMENT CYBER_STALKING CYBER_STALKING_AGAINST_WOMEN "
    "DATA_FALSIFICATION DEFAMATION DESIGN_INFRINGEMENT DISCRIMINATION FEMALE_GENDERED_DISINFORMATION "
    "GEOGRAPHIC_INDICATIONS_INFRINGEMENT GEOGRAPHICAL_REQUIREMENTS GOODS_SERVICES_NOT_PERMITTED "
    "GROOMING_SEXUAL_ENTICEMENT_MINORS HATE_SPEECH HIDDEN_ADVERTISEMENT HUMAN_EXPLOITATION HUMAN_TRAFFICKING "
    "ILLEGAL_ORGANIZATIONS IMPERSONATION_ACCOUNT_HIJACKING INAUTHENTIC_ACCOUNTS INAUTHENTIC_LISTINGS "
    "INAUTHENTIC_USER_REVIEWS INCITEMENT_AGAINST_WOMEN INCITEMENT_VIOLENCE_HATRED INSUFFICIENT_INFORMATION_ON_TRADERS "
    "LANGUAGE_REQUIREMENTS MISINFORMATION_DISINFORMATION MISLEADING_INFO_CONSUMER_RIGHTS "
    "MISLEADING_INFO_GOODS_SERVICES MISSING_PROCESSING_GROUND NON_CONSENSUAL_IMAGE_SHARING "
    "NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN NON_CONSENSUAL_MATERIAL_DEEPFAKE "
    "NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN NONCOMPLIANCE_PRICING NUDITY PATENT_INFRINGEMENT PHISHING "
    "PROHIBITED_PRODUCTS PYRAMID_SCHEMES RIGHT_TO_BE_FORGOTTEN RISK_ENVIRONMENTAL_DAMAGE RISK_PUBLIC_HEALTH "
    "SELF_MUTILATION STALKING SUICIDE TERRORIST_CONTENT TRADE_SECRET_INFRINGEMENT TRADEMARK_INFRINGEMENT "
    "TRAFFICKING_WOMEN_GIRLS UNLAWFUL_SALE_ANIMALS UNSAFE_CHALLENGES UNSAFE_PRODUCTS VIOLATION_EU_LAW "
    "VIOLATION_NATIONAL_LAW OTHER"))
SOURCE_TYPES = ("SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER", "SOURCE_TYPE_OTHER_NOTIFICATION", "SOURCE_VOLUNTARY")
AUTOMATED_DETECTIONS = ("Yes", "No")
AUTOMATED_DECISIONS = ("AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED")
YES_NO = ("Yes", "No")
# ISO 639-1, upper case, as EuropeanLanguagesService::ALL_LANGUAGES lists them.
LANGUAGES = frozenset(_words(
    "AB AA AF AK SQ AM AR AN HY AS AV AE AY AZ BM BA EU BE BN BH BI BS BR BG MY CA KM CH CE NY ZH CU CV KW CO CR HR CS "
    "DA DV NL DZ EN EO ET EE FO FJ FI FR FF GD GL LG KA DE KI EL KL GN GU HT HA HE HZ HI HO HU IS IO IG ID IA IE IU IK "
    "GA IT JA JV KN KR KS KK RW KV KG KO KJ KU KY LO LA LV LB LI LN LT LU MK MG MS ML MT GV MI MR MH RO MN NA NV ND NG "
    "NE SE NO NB NN II OC OJ OR OM OS PI PA PS FA PL PT QU RM RN RU SM SG SA SC SR SN SD SI SK SL SO ST NR ES SU SW SS "
    "SV TL TY TG TA TT TE TH BO TI TO TS TN TR TK TW UG UK UR UZ VE VI VO WA CY FY WO XH YI YO ZA ZU"))

# Every field the API takes; the bulk endpoint drops any other, so Klean sends none.
FIELDS = (
    "decision_visibility", "decision_visibility_other", "end_date_visibility_restriction", "decision_monetary",
    "decision_monetary_other", "end_date_monetary_restriction", "decision_provision", "end_date_service_restriction",
    "decision_account", "end_date_account_restriction", "account_type", "decision_ground",
    "decision_ground_reference_url", "illegal_content_legal_ground", "illegal_content_explanation",
    "incompatible_content_ground", "incompatible_content_explanation", "incompatible_content_illegal", "category",
    "category_addition", "category_specification", "category_specification_other", "content_type",
    "content_type_other", "content_id", "content_date", "application_date", "territorial_scope", "content_language",
    "decision_facts", "source_type", "source_identity", "automated_detection", "automated_decision", "puid",
)
MAX_CHARS = {
    "decision_visibility_other": 500, "decision_monetary_other": 500, "category_specification_other": 500,
    "decision_ground_reference_url": 500, "illegal_content_legal_ground": 500, "illegal_content_explanation": 2000,
    "incompatible_content_ground": 500, "incompatible_content_explanation": 2000, "content_type_other": 500,
    "decision_facts": 5000, "source_identity": 500, "puid": 500,
}
END_DATES = ("end_date_visibility_restriction", "end_date_monetary_restriction", "end_date_service_restriction",
             "end_date_account_restriction")
EARLIEST_CONTENT_DATE = date(2000, 1, 1)
EARLIEST_APPLICATION_DATE = date(2020, 1, 1)
LATEST_DATE = date(2038, 1, 1)
BATCH_MAX = 100
_PUID = re.compile(r"[A-Za-z0-9_-]+")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ILLEGAL_ONLY = ("illegal_content_legal_ground", "illegal_content_explanation")
_INCOMPATIBLE_ONLY = ("incompatible_content_ground", "incompatible_content_explanation", "incompatible_content_illegal")
FREE_TEXT = ("decision_visibility_other", "decision_monetary_other", "category_specification_other",
             "illegal_content_legal_ground", "illegal_content_explanation", "incompatible_content_ground",
             "incompatible_content_explanation", "content_type_other", "decision_facts", "source_identity")


def territorial_scope(codes: Iterable[str]) -> list[str]:
    """The codes as the API takes them (upper case, each once; EU and EEA stand for their members), or ValueError
    naming every code it would refuse."""
    out: list[str] = []
    bad: list[str] = []
    for raw in codes:
        code = str(raw).strip().upper()
        if not code:
            continue
        members = EEA if code == "EEA" else EU if code == "EU" else (code,)
        for c in members:
            if c not in EEA:
                bad.append(f"{c} ({_NOT_COUNTRIES[c]})" if c in _NOT_COUNTRIES else c)
            elif c not in out:
                out.append(c)
    if bad:
        raise ValueError(f"not an EU/EEA country code the Transparency Database accepts: {', '.join(bad)}; "
                         f"allowed: {', '.join(sorted(EEA))} (or EU, EEA)")
    if not out:
        raise ValueError("at least one EU/EEA country code")
    return out


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _label(field: str) -> str:
    return field.replace("_", " ")


def problems(s: Mapping[str, Any]) -> list[str]:
    """Why the Transparency Database would refuse this statement ("field: message"), empty when it would take it.

    Beyond the API's own rules: no field it does not know (the bulk endpoint would drop it silently), end dates not
    before the application date and a territorial scope (both documented), and no e-mail address or telephone
    number in free text (Art. 24(5) DSA: no personal data)."""
    out: list[str] = []

    def bad(field: str, message: str) -> None:
        out.append(f"{field}: {message}")

    def present(field: str) -> bool:
        value = s.get(field)
        return value is not None and value != "" and value != []

    for field in s:
        if field not in FIELDS:
            bad(field, "not a field of the Transparency Database API")
    decisions = ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")
    if not any(present(f) for f in decisions):
        bad("decision_visibility", "at least one of decision visibility / monetary / provision / account is required")
    for field, allowed in (("decision_monetary", DECISION_MONETARIES), ("decision_provision", DECISION_PROVISIONS),
                           ("decision_account", DECISION_ACCOUNTS), ("account_type", ACCOUNT_TYPES),
                           ("content_language", LANGUAGES)):
        if present(field) and s[field] not in allowed:
            bad(field, f"the selected {_label(field)} is invalid")
    for field, allowed, required in (("decision_visibility", DECISION_VISIBILITIES, False),
                                     ("category_specification", KEYWORDS, False),
                                     ("category_addition", CATEGORIES, False),
                                     ("content_type", CONTENT_TYPES, True),
                                     ("territorial_scope", EEA, True)):
        value = s.get(field)
        if value is None or value == []:
            if required:
                bad(field, f"the {_label(field)} field is required")
            continue
        if not isinstance(value, list):
            bad(field, f"the {_label(field)} field must be an array")
        elif any(not isinstance(v, str) or v not in allowed for v in value):
            bad(field, f"the selected {_label(field)} is invalid")
    for field, needle, other in (("decision_visibility", "DECISION_VISIBILITY_OTHER", "decision_visibility_other"),
                                 ("content_type", "CONTENT_TYPE_OTHER", "content_type_other"),
                                 ("category_specification", "KEYWORD_OTHER", None)):
        if other and isinstance(s.get(field), list) and needle in s[field] and not present(other):
            bad(other, f"the {_label(other)} field is required when {_label(field)} is other")
    if s.get("decision_monetary") == "DECISION_MONETARY_OTHER" and not present("decision_monetary_other"):
        bad("decision_monetary_other", "the decision monetary other field is required when decision monetary is other")

    ground = s.get("decision_ground")
    if not present("decision_ground"):
        bad("decision_ground", "the decision ground field is required")
    elif ground not in DECISION_GROUNDS:
        bad("decision_ground", "the selected decision ground is invalid")
    for field in _ILLEGAL_ONLY:
        if ground == "DECISION_GROUND_ILLEGAL_CONTENT" and not present(field):
            bad(field, f"the {_label(field)} field is required when decision ground is illegal content")
    for field in _INCOMPATIBLE_ONLY[:2]:
        if ground == "DECISION_GROUND_INCOMPATIBLE_CONTENT" and not present(field):
            bad(field, f"the {_label(field)} field is required when decision ground is incompatible content")
    if present("incompatible_content_illegal") and s["incompatible_content_illegal"] not in YES_NO:
        bad("incompatible_content_illegal", "the selected incompatible content illegal is invalid")
    if ground in DECISION_GROUNDS:  # the API drops these silently (exclude_unless): sending one is a mistake
        wrong = _INCOMPATIBLE_ONLY if ground == "DECISION_GROUND_ILLEGAL_CONTENT" else _ILLEGAL_ONLY
        for field in wrong:
            if present(field):
                bad(field, f"not taken with decision ground {ground}")
    if present("decision_ground_reference_url") and not re.match(r"https?://[^\s/$.?#].[^\s]*$",
                                                                   str(s["decision_ground_reference_url"])):
        bad("decision_ground_reference_url", "the decision ground reference url field must be a valid URL")

    if not present("category"):
        bad("category", "the category field is required")
    elif s["category"] not in CATEGORIES:
        bad("category", "the selected category is invalid")
    if present("content_id"):
        cid = s["content_id"]
        if not isinstance(cid, Mapping) or any(k != "EAN-13" for k in cid) or \
                not re.fullmatch(r"[0-9]{13}", str(cid.get("EAN-13", ""))):
            bad("content_id", "only an EAN-13 of 13 digits is accepted")

    dates: dict[str, date] = {}
    for field, earliest, required in (("content_date", EARLIEST_CONTENT_DATE, True),
                                      ("application_date", EARLIEST_APPLICATION_DATE, True),
                                      *((f, None, False) for f in END_DATES)):
        if not present(field):
            if required:
                bad(field, f"the {_label(field)} field is required")
            continue
        day = _day(s[field])
        if day is None:
            bad(field, f"the {_label(field)} does not match the format YYYY-MM-DD")
            continue
        if earliest is not None and day < earliest:
            bad(field, f"the {_label(field)} must be a date after or equal to {earliest.isoformat()}")
        if day > LATEST_DATE:
            bad(field, f"the {_label(field)} must be a date before or equal to {LATEST_DATE.isoformat()}")
        dates[field] = day
    for field in END_DATES:
        if field in dates and "application_date" in dates and dates[field] < dates["application_date"]:
            bad(field, "the end date must be after or equal to the application date")

    if not present("decision_facts"):
        bad("decision_facts", "the decision facts field is required")
    if not present("source_type"):
        bad("source_type", "the source type field is required")
    elif s["source_type"] not in SOURCE_TYPES:
        bad("source_type", "the selected source type is invalid")
    elif s["source_type"] == "SOURCE_VOLUNTARY" and present("source_identity"):
        bad("source_identity", "not taken with source type SOURCE_VOLUNTARY")
    for field, allowed in (("automated_detection", AUTOMATED_DETECTIONS),
                           ("automated_decision", AUTOMATED_DECISIONS)):
        if not present(field):
            bad(field, f"the {_label(field)} field is required")
        elif s[field] not in allowed:
            bad(field, f"the selected {_label(field)} is invalid")
    if not present("puid"):
        bad("puid", "the puid field is required")
    elif not isinstance(s["puid"], str) or not _PUID.fullmatch(s["puid"]):
        bad("puid", "the puid format is invalid")

    for field, limit in MAX_CHARS.items():
        if present(field) and len(str(s[field])) > limit:
            bad(field, f"the {_label(field)} field must not be greater than {limit} characters "
                       f"({len(str(s[field]))})")
    for field in FREE_TEXT:
        if present(field):
            found = personal_data(str(s[field]))
            if found:
                bad(field, f"personal data ({', '.join(found)}) must not be sent")
    return out


# ---- personal data -------------------------------------------------------------------------------------

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Telephone numbers as people write them: +82 10-1234-5678, 010-1234-5678, (02) 123 4567, +33 6 12 34 56 78.
PHONE = re.compile(r"(?<![\w.:/#-])(?:\+\d{1,3}[ .-]?(?:\(0\)[ .-]?)?|\(?0\d{1,3}\)?[ .-]?)"
                   r"\d{1,4}(?:[ .-]?\d{2,4}){1,5}(?![\w-])")
# Korean resident registration numbers (YYMMDD-SNNNNNN).
RRN = re.compile(r"(?<!\d)\d{6}-[1-8]\d{6}(?!\d)")


def _phone_like(m: re.Match[str]) -> bool:
    digits = sum(c.isdigit() for c in m.group(0))
    return 8 <= digits <= 15


def personal_data(text: str) -> list[str]:
    """The kinds of personal data found in a text: e-mail address, telephone number, resident registration number."""
    found = []
    if EMAIL.search(text):
        found.append("e-mail address")
    if any(_phone_like(m) for m in PHONE.finditer(text)):
        found.append("telephone number")
    if RRN.search(text):
        found.append("resident registration number")
    return found


def handle(key: bytes, kind: str, value: str) -> str:
    """A pseudonymous handle for a person's account (`seller-3f09a1c2d4`): the same for the same account, and not
    reversible without the key, even by trying every account name."""
    digest = hmac.new(key, f"{kind}\x00{value}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    code = digest[:10]
    if code.isdigit():  # ten decimal digits read as a telephone number (0212345678): one letter keeps it a handle
        code = "g" + code[1:]
    return f"{kind}-{code}"


class Redactor:
    """Takes e-mail addresses, telephone and resident registration numbers out of free text, and replaces each
    account name it knows (matched whole, in any case) with what it maps to (a handle). Compiled once for a run."""

    def __init__(self, names: Mapping[str, str] | None = None) -> None:
        self.single: dict[str, str] = {}
        phrases: dict[str, str] = {}
        for name, alias in (names or {}).items():
            name = name.strip()
            if len(name) < 3:
                continue
            if any(c.isspace() for c in name):  # a display name of several words: looked for as a phrase
                phrases[re.sub(r"\s+", " ", name.casefold())] = alias
            else:
                self.single[name.casefold()] = alias
        self.phrases = phrases
        self.pattern = re.compile(
            r"(?<![\w-])(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(phrases, key=len,
                                                                                       reverse=True)) + r")(?![\w-])",
            re.IGNORECASE) if phrases else None

    def __call__(self, text: str, extra: Mapping[str, str] | None = None) -> str:
        text = EMAIL.sub("[e-mail address removed]", text)
        text = RRN.sub("[number removed]", text)
        text = PHONE.sub(lambda m: "[telephone number removed]" if _phone_like(m) else m.group(0), text)
        if self.pattern is not None:
            text = self.pattern.sub(lambda m: self.phrases.get(re.sub(r"\s+", " ", m.group(0).casefold()),
                                                               m.group(0)), text)
        more = {k.strip().casefold(): v for k, v in (extra or {}).items() if len(k.strip()) >= 3}
        if not self.single and not more:
            return text

        def swap(m: re.Match[str]) -> str:
            token = m.group(0)
            core = token.rstrip(".-")  # "gangnam-deals." at the end of a sentence
            key = core.casefold()
            alias = more.get(key) or self.single.get(key)
            return token if alias is None else alias + token[len(core):]

        return _TOKEN.sub(swap, text)


def redact(text: str, names: Mapping[str, str] | None = None) -> str:
    """The text without e-mail addresses, telephone or resident registration numbers, and with each account name
    in `names` (matched whole, any case) replaced by what it maps to (a handle)."""
    return Redactor(names)(text)


_TOKEN = re.compile(r"[\w][\w.-]*")


def looks_like_handle(name: str) -> bool:
    """An account name that is not an ordinary word (it has a digit, `-`, `_` or `.`): safe to replace wherever it
    appears in free text. Plain words ("seller", "samsung") are replaced only where Klean wrote them."""
    return len(name) >= 4 and any(c.isdigit() or c in "-_." for c in name)


def clip(text: str, limit: int, pointer: str) -> str:
    """The text within `limit` characters: cut at a word boundary and followed by `pointer` (where the whole text
    is kept) when it is longer."""
    text = text.strip()
    if len(text) <= limit:
        return text
    tail = f" […] {pointer}"
    room = max(0, limit - len(tail))
    cut = text[:room]
    space = cut.rfind(" ")
    if space > room * 0.8:
        cut = cut[:space]
    return cut.rstrip() + tail


def batches(items: Sequence[Any], size: int = BATCH_MAX) -> list[Sequence[Any]]:
    """Items in groups the bulk endpoint takes (1 to 100)."""
    size = max(1, min(size, BATCH_MAX))
    return [items[i:i + size] for i in range(0, len(items), size)]
