"""Who may do what: (method, path template) -> the roles allowed. The authorisation matrix test checks every route
of the app against this table; a route without a row fails it, and so does a row for a route that is gone.

PUBLIC means anonymous callers are allowed too. Roles are a, rh, tp, s, c, rv, i (admin, rights holder, trusted
partner, seller, consumer, reviewer, inspector). Where a role may call a route but only for what it owns (its own
listing, its brand, its order), the owner-versus-other-owner cases are in test_authz_matrix.py; here the caller is
the owner of the seeded objects (seller busan-shades, rights holder and trusted partner of Chanel, buyer minji).
"""

from __future__ import annotations

A, RH, TP, S, C, RV, INS = "admin", "rights_holder", "trusted_partner", "seller", "consumer", "reviewer", "inspector"
# Not one of the matrix's callers: an agency's allowed and refused cases are in tests/integration/test_agencies.py.
AG = "agency"
ALL = frozenset({A, RH, TP, S, C, RV, INS})
PUBLIC = frozenset(ALL | {"anonymous"})
STAFF = frozenset({A, RV})
HOLDERS = frozenset({A, RH, TP})


def only(*roles: str) -> frozenset[str]:
    return frozenset(roles)


TABLE: dict[tuple[str, str], frozenset[str]] = {
    # operations
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,  # scrape endpoint: bind the server to a private address or filter at the proxy
    ("GET", "/"): PUBLIC,
    ("GET", "/v1/me"): ALL,
    # users and keys
    ("POST", "/v1/users"): only(A),
    ("GET", "/v1/users"): only(A),
    ("PATCH", "/v1/users/{user_id}"): only(A),  # role, org, seller account, active: ends the user's sessions
    ("GET", "/v1/users/me/keys"): ALL,
    ("POST", "/v1/users/me/keys"): ALL,
    ("DELETE", "/v1/users/me/keys/{key_id}"): ALL,  # own keys only: another's key id is 404 (owner test)
    # registry
    ("POST", "/v1/brands"): HOLDERS,
    ("GET", "/v1/brands"): HOLDERS | STAFF,
    ("GET", "/v1/brands/{brand_id}"): HOLDERS | STAFF,
    ("PATCH", "/v1/brands/{brand_id}"): HOLDERS,
    ("DELETE", "/v1/brands/{brand_id}"): HOLDERS,
    ("GET", "/v1/brands/{brand_id}/marks"): HOLDERS | STAFF,
    ("POST", "/v1/brands/{brand_id}/marks"): HOLDERS,
    ("DELETE", "/v1/brands/{brand_id}/marks/{mark}"): HOLDERS,
    ("GET", "/v1/brands/{brand_id}/products"): HOLDERS | STAFF,
    ("POST", "/v1/brands/{brand_id}/products"): HOLDERS,
    ("PATCH", "/v1/brands/{brand_id}/products/{product_id}"): HOLDERS,
    ("DELETE", "/v1/brands/{brand_id}/products/{product_id}"): HOLDERS,
    ("GET", "/v1/brands/{brand_id}/images"): HOLDERS | STAFF,
    ("POST", "/v1/brands/{brand_id}/images"): HOLDERS,
    ("GET", "/v1/brands/{brand_id}/images/{sha256}"): HOLDERS | STAFF,
    ("DELETE", "/v1/brands/{brand_id}/images/{sha256}"): HOLDERS,
    ("GET", "/v1/brands/{brand_id}/authorised-sellers"): HOLDERS | STAFF,
    ("POST", "/v1/brands/{brand_id}/authorised-sellers"): HOLDERS,
    ("DELETE", "/v1/brands/{brand_id}/authorised-sellers/{seller_id}"): HOLDERS,
    ("GET", "/v1/brands/{brand_id}/knowledge"): HOLDERS | STAFF,
    ("POST", "/v1/brands/{brand_id}/knowledge"): HOLDERS,
    ("DELETE", "/v1/brands/{brand_id}/knowledge/{term_id}"): HOLDERS,
    ("PUT", "/v1/brands/{brand_id}/knowledge/pack"): HOLDERS,
    ("GET", "/v1/registry/export"): HOLDERS | STAFF,
    ("POST", "/v1/registry/import"): only(A),
    # screening
    ("POST", "/v1/screen"): ALL,
    ("POST", "/v1/listings"): only(S, A),
    ("POST", "/v1/listings:batch"): only(S, A),
    ("GET", "/v1/listings/{listing_id}"): only(S, A, RV),
    # image banks
    ("GET", "/v1/image-banks"): STAFF,
    ("GET", "/v1/image-banks/{bank}/entries"): STAFF,
    ("POST", "/v1/image-banks/{bank}/entries"): STAFF,
    ("POST", "/v1/image-banks/{bank}/images"): STAFF,
    ("DELETE", "/v1/image-banks/entries/{entry_id}"): STAFF,
    ("POST", "/v1/image-banks/{bank}/import"): STAFF,
    ("GET", "/v1/image-banks/{bank}/export"): STAFF,
    ("POST", "/v1/image-banks/floods/check"): STAFF,
    ("POST", "/v1/image-banks/official/fill-hashes"): only(A),
    # reporting, notices, cases
    ("POST", "/v1/reports"): PUBLIC,
    ("GET", "/v1/reports/{case_number}"): PUBLIC,  # with the follow token or as its reporter (owner test)
    ("POST", "/v1/notices"): only(RH, TP),
    ("GET", "/v1/cases"): ALL,
    ("GET", "/v1/cases/{case_id}"): ALL,  # parties and staff; others 404 (owner test)
    ("POST", "/v1/cases/{case_id}/counter-notice"): only(S),
    ("POST", "/v1/cases/{case_id}/court-action"): only(RH, TP),
    ("POST", "/v1/cases/{case_id}/complaints"): only(S, RH, TP),
    # agencies (issue 23): mandates, bulk notices over many brands, the per-member report
    ("POST", "/v1/mandates"): only(AG),
    ("GET", "/v1/mandates"): STAFF | only(RH, AG),
    ("GET", "/v1/mandates/{mandate_id}"): STAFF | only(RH, AG),  # others' mandates 404
    ("POST", "/v1/mandates/{mandate_id}/decision"): STAFF,
    ("POST", "/v1/mandates/{mandate_id}/end"): STAFF | only(RH, AG),  # the member's rights holder, the agency
    ("POST", "/v1/notices/bulk"): only(RH, TP, AG),
    ("GET", "/v1/agency/report"): STAFF | only(AG),
    # Klean-to-Klean exchange (issue 23, first part)
    ("GET", "/v1/exchange/identity"): STAFF | only(AG),
    ("POST", "/v1/exchange/outbox"): only(A, AG),
    ("POST", "/v1/exchange/revocations"): only(A, AG),
    ("POST", "/v1/exchange/peers"): only(A),
    ("GET", "/v1/exchange/peers"): STAFF,
    ("GET", "/v1/exchange/items"): STAFF,
    ("POST", "/v1/exchange/items/{item_id}/decision"): STAFF,
    ("POST", "/v1/exchange/inbox"): only(A),  # the signature, checked against the peer's registered key, decides
    ("GET", "/v1/notifiers/{user_id}/record"): STAFF | only(RH),  # {user_id} is the rights holder: its own record
    ("POST", "/v1/notifiers/{user_id}/readmit"): only(A),
    # review queue
    ("GET", "/v1/review/queue"): STAFF,
    ("POST", "/v1/review/items/{item_id}/claim"): STAFF,
    ("POST", "/v1/review/items/{item_id}/release"): STAFF,
    ("POST", "/v1/review/items/{item_id}/decide"): STAFF,
    # enforcement
    ("GET", "/v1/enforcement/policy"): ALL,
    ("POST", "/v1/enforcement/violations"): STAFF,
    ("POST", "/v1/enforcement/reversals"): STAFF,
    ("GET", "/v1/enforcement/actions"): STAFF | only(S),
    ("GET", "/v1/enforcement/actions/{action_id}"): STAFF | only(S),
    ("POST", "/v1/enforcement/actions/{action_id}/appeal"): only(S),
    ("POST", "/v1/enforcement/actions/{action_id}/lift"): only(A),
    ("GET", "/v1/enforcement/appeals"): STAFF,
    ("POST", "/v1/enforcement/appeals/{appeal_id}/decision"): STAFF,
    ("GET", "/v1/sellers/{seller_id}/standing"): STAFF | only(S),
    ("GET", "/v1/sellers/{seller_id}/listing-check"): STAFF | only(S),
    # rights holders: sellers of their brands, personal data masked
    ("GET", "/v1/sellers/{seller_id}/network"): HOLDERS | STAFF,
    # evidence and transparency
    ("GET", "/v1/evidence/cases/{case_id}"): only(A, RH, TP, AG),  # agency: its live-mandate members' cases
    ("GET", "/v1/evidence/listings/{listing_id}"): only(A),
    ("GET", "/v1/evidence/sellers/{seller_id}"): only(A),
    ("GET", "/v1/transparency/report"): PUBLIC,
    ("GET", "/v1/transparency/statements"): STAFF,
    # QA test buys
    ("POST", "/v1/qa/periods/{period}/sample"): STAFF,
    ("GET", "/v1/qa/periods/{period}/report"): STAFF,
    ("GET", "/v1/qa/picks"): STAFF | only(INS, RH, TP),
    ("GET", "/v1/qa/picks/{pick_id}"): STAFF | only(INS, RH, TP),
    ("POST", "/v1/qa/picks/{pick_id}/assign"): STAFF,
    ("POST", "/v1/qa/picks/{pick_id}/purchase"): only(INS),
    ("POST", "/v1/qa/picks/{pick_id}/photos"): only(INS),
    ("POST", "/v1/qa/picks/{pick_id}/verdict"): only(INS),
    ("POST", "/v1/qa/picks/{pick_id}/confirm"): only(RH, TP),
    # orders and refunds
    ("POST", "/v1/orders"): only(A),
    ("GET", "/v1/orders/{order_id}"): STAFF | only(C),
    ("POST", "/v1/refunds/claims"): only(C),
    ("GET", "/v1/refunds/claims"): STAFF | only(C),
    ("GET", "/v1/refunds/claims/{claim_id}"): STAFF | only(C),
    ("POST", "/v1/refunds/claims/{claim_id}/decision"): STAFF,
    ("POST", "/v1/refunds/cases/{listing_id}/decision"): STAFF,
    # seller verification
    ("POST", "/v1/verification/proofs"): only(S),
    ("GET", "/v1/verification/proofs"): STAFF | only(S, RH),
    ("GET", "/v1/verification/proofs/{proof_id}"): STAFF | only(S, RH),
    ("GET", "/v1/verification/proofs/{proof_id}/document"): STAFF | only(S, RH),
    ("POST", "/v1/verification/proofs/{proof_id}/decision"): STAFF | only(RH),
    ("PUT", "/v1/verification/proofs/{proof_id}/expiry"): STAFF,
    # The brand's owner decides who may sell it (README: "the rights holder grants or revokes directly"); a trusted
    # partner files notices for the brand but does not license sellers.
    ("POST", "/v1/verification/grants"): only(A, RH),
    ("POST", "/v1/verification/revocations"): only(A, RH),
    ("PUT", "/v1/verification/identity"): only(S),
    ("GET", "/v1/sellers/{seller_id}/identity"): STAFF | only(S),
    ("POST", "/v1/sellers/{seller_id}/identity/verification"): STAFF,
    # portal pages (GET) and actions (POST, with the session's CSRF token)
    ("GET", "/portal/"): PUBLIC,
    ("GET", "/portal/signin"): PUBLIC,
    ("POST", "/portal/signin"): PUBLIC,
    ("POST", "/portal/signout"): PUBLIC,
    ("GET", "/portal/report"): PUBLIC,
    ("POST", "/portal/report"): PUBLIC,
    ("GET", "/portal/follow"): PUBLIC,
    ("GET", "/portal/refund"): only(C),
    ("POST", "/portal/refund"): only(C),
    ("GET", "/portal/transparency"): PUBLIC,
    ("GET", "/portal/transparency/charts/{name}.svg"): PUBLIC,
    ("GET", "/portal/admin"): only(A),
    ("POST", "/portal/admin/keys"): only(A),
    ("GET", "/portal/brands"): HOLDERS,
    ("POST", "/portal/brands"): HOLDERS,
    ("GET", "/portal/brands/{brand_id}"): HOLDERS,
    ("POST", "/portal/brands/{brand_id}/marks"): HOLDERS,
    ("POST", "/portal/brands/{brand_id}/marks/remove"): HOLDERS,
    ("POST", "/portal/brands/{brand_id}/products"): HOLDERS,
    ("POST", "/portal/brands/{brand_id}/sellers"): HOLDERS,
    ("POST", "/portal/brands/{brand_id}/sellers/remove"): HOLDERS,
    ("POST", "/portal/brands/{brand_id}/images"): HOLDERS,
    ("POST", "/portal/brands/{brand_id}/knowledge"): HOLDERS,
    ("POST", "/portal/brands/{brand_id}/knowledge/remove"): HOLDERS,
    ("POST", "/portal/brands/{brand_id}/knowledge/pack"): HOLDERS,
    ("GET", "/portal/notices/new"): only(RH, TP),  # as POST /v1/notices: the rights holder's own statement
    ("POST", "/portal/notices"): only(RH, TP),
    ("GET", "/portal/cases"): HOLDERS,
    ("GET", "/portal/cases/{case_id}"): HOLDERS,
    ("POST", "/portal/cases/{case_id}/court-action"): HOLDERS,
    ("GET", "/portal/cases/{case_id}/evidence"): HOLDERS,
    ("GET", "/portal/inspector"): only(INS),
    ("POST", "/portal/inspector/{pick_id}/purchase"): only(INS),
    ("POST", "/portal/inspector/{pick_id}/photos"): only(INS),
    ("POST", "/portal/inspector/{pick_id}/verdict"): only(INS),
    ("GET", "/portal/review"): STAFF,
    ("GET", "/portal/review/{item_id}"): STAFF,
    ("GET", "/portal/review/{item_id}/photos/{n}"): STAFF,  # photos Klean stored at intake, for the region view
    ("POST", "/portal/review/{item_id}/claim"): STAFF,
    ("POST", "/portal/review/{item_id}/release"): STAFF,
    ("POST", "/portal/review/{item_id}/decide"): STAFF,
    ("POST", "/portal/review/proofs/{proof_id}/expiry"): STAFF,
    ("GET", "/portal/seller"): only(S),
    ("GET", "/portal/seller/listings/{listing_id}"): only(S),
    ("POST", "/portal/seller/actions/{action_id}/appeal"): only(S),
    ("POST", "/portal/seller/cases/{case_id}/counter-notice"): only(S),
    ("POST", "/portal/seller/proofs"): only(S),
}
