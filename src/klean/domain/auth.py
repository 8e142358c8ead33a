"""Who is asking: the authenticated principal and its role. Never taken from the request body."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from klean.domain.errors import Forbidden


class Role(StrEnum):
    ADMIN = "admin"
    RIGHTS_HOLDER = "rights_holder"
    TRUSTED_PARTNER = "trusted_partner"
    SELLER = "seller"
    CONSUMER = "consumer"
    REVIEWER = "reviewer"
    INSPECTOR = "inspector"
    AGENCY = "agency"  # acts for many rights holders, brand by brand, each by a reviewed mandate (issue 23)


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    role: Role
    org: str | None = None  # rights holder / trusted partner: the brand owner it acts for; inspector: its firm;
    # agency: the agency itself (the brands it acts for are those it holds a live mandate for)
    seller_id: str | None = None  # seller: the seller account it is

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"role {self.role.value} may not do this (allowed: {allowed})")

    def may_manage_brand(self, brand_owner: str | None) -> bool:
        if self.role is Role.ADMIN:
            return True
        return self.role in (Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER) and self.org is not None \
            and self.org == brand_owner


ANONYMOUS = Principal(user_id="anonymous", role=Role.CONSUMER)
