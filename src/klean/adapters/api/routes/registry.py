"""The brand registry over HTTP: brands, marks, products, images (upload), authorised sellers, brand knowledge
(nicknames, design cues, collisions); import/export.

Another owner's brand answers 404, like a brand that does not exist (see klean.services.registry).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Query, Response, UploadFile

from klean.adapters.api.deps import AppDep, PrincipalDep, UowDep
from klean.adapters.api.schemas_registry import (
    AuthorisationIn,
    AuthorisationOut,
    BrandIn,
    BrandOut,
    BrandPage,
    BrandPatch,
    ImageOut,
    ImportOut,
    KnowledgeOut,
    MarkIn,
    MoneyIO,
    PackIn,
    ProductIn,
    ProductOut,
    ProductPatch,
    TermIn,
    TermOut,
)
from klean.adapters.blobs import BlobStore
from klean.adapters.imaging import image_features
from klean.adapters.screening_runtime import rescan_after_change
from klean.adapters.uploads import sniff, validate_image
from klean.domain.errors import NotFound
from klean.domain.listing import Money
from klean.services import registry

router = APIRouter(prefix="/v1", tags=["registry"])


def _money(m: MoneyIO) -> Money:
    return Money.of(m.amount, m.currency)


def _knowledge_out(k: registry.BrandKnowledge) -> KnowledgeOut:
    return KnowledgeOut(brand_id=k.brand_id, use_pack=k.use_pack, pack_version=k.pack_version,
                        terms=[*(TermOut.of(t) for t in k.own), *(TermOut.of(t, in_use=k.use_pack) for t in k.pack)])


@router.post("/brands", status_code=201, response_model=BrandOut)
def create_brand(body: BrandIn, principal: PrincipalDep, uow: UowDep, app: AppDep) -> BrandOut:
    """Register a brand with its word marks in any script (e.g. Samsung, 삼성, 三星)."""
    brand = registry.create_brand(uow=uow, principal=principal, brand_id=body.id, name=body.name, marks=body.marks,
                                  owner=body.owner)
    rescan_after_change(app, brand_ids=[brand.id])
    return BrandOut.of(brand)


@router.get("/brands", response_model=BrandPage)
def list_brands(principal: PrincipalDep, uow: UowDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> BrandPage:
    """List the brands you may see: your own (rights holders, trusted partners) or all (admins, reviewers)."""
    items, total = registry.list_brands(uow=uow, principal=principal, limit=limit, offset=offset)
    return BrandPage(items=[BrandOut.of(b) for b in items], total=total, limit=limit, offset=offset)


@router.get("/brands/{brand_id}", response_model=BrandOut)
def get_brand(brand_id: str, principal: PrincipalDep, uow: UowDep) -> BrandOut:
    """One brand with its marks, products, images and authorised sellers."""
    return BrandOut.of(registry.get_brand(uow=uow, principal=principal, brand_id=brand_id))


@router.patch("/brands/{brand_id}", response_model=BrandOut)
def update_brand(brand_id: str, body: BrandPatch, principal: PrincipalDep, uow: UowDep) -> BrandOut:
    """Rename a brand, or (admins) change its owner."""
    return BrandOut.of(registry.update_brand(uow=uow, principal=principal, brand_id=brand_id, name=body.name,
                                             owner=body.owner))


@router.delete("/brands/{brand_id}", status_code=204)
def delete_brand(brand_id: str, principal: PrincipalDep, uow: UowDep, app: AppDep) -> Response:
    """Remove a brand (its history stays in the event log)."""
    registry.delete_brand(uow=uow, principal=principal, brand_id=brand_id)
    rescan_after_change(app, brand_ids=[brand_id])
    return Response(status_code=204)


@router.get("/brands/{brand_id}/marks", response_model=list[str])
def list_marks(brand_id: str, principal: PrincipalDep, uow: UowDep) -> list[str]:
    """A brand's word marks."""
    return list(registry.get_brand(uow=uow, principal=principal, brand_id=brand_id).marks)


@router.post("/brands/{brand_id}/marks", status_code=201, response_model=list[str])
def add_mark(brand_id: str, body: MarkIn, principal: PrincipalDep, uow: UowDep, app: AppDep) -> list[str]:
    """Add a word mark; one the registry already holds (compared NFKC-folded, case- and space-blind) is 409."""
    marks = list(registry.add_mark(uow=uow, principal=principal, brand_id=brand_id, mark=body.mark).marks)
    rescan_after_change(app, brand_ids=[brand_id])
    return marks


@router.delete("/brands/{brand_id}/marks/{mark}", response_model=list[str])
def remove_mark(brand_id: str, mark: str, principal: PrincipalDep, uow: UowDep, app: AppDep) -> list[str]:
    """Remove a word mark (a brand keeps at least one)."""
    marks = list(registry.remove_mark(uow=uow, principal=principal, brand_id=brand_id, mark=mark).marks)
    rescan_after_change(app, brand_ids=[brand_id])
    return marks


@router.get("/brands/{brand_id}/products", response_model=list[ProductOut])
def list_products(brand_id: str, principal: PrincipalDep, uow: UowDep) -> list[ProductOut]:
    """A brand's products with their reference prices."""
    return [ProductOut.of(p) for p in registry.get_brand(uow=uow, principal=principal, brand_id=brand_id).products]


@router.post("/brands/{brand_id}/products", status_code=201, response_model=ProductOut)
def add_product(brand_id: str, body: ProductIn, principal: PrincipalDep, uow: UowDep, app: AppDep) -> ProductOut:
    """Add a product and what the genuine article sells for."""
    product = registry.add_product(
        uow=uow, principal=principal, brand_id=brand_id, name=body.name, reference_price=_money(body.reference_price),
        aliases=body.aliases, category=body.category, product_id=body.id)
    rescan_after_change(app, brand_ids=[brand_id])
    return ProductOut.of(product)


@router.patch("/brands/{brand_id}/products/{product_id}", response_model=ProductOut)
def update_product(brand_id: str, product_id: str, body: ProductPatch, principal: PrincipalDep,
                   uow: UowDep, app: AppDep) -> ProductOut:
    """Change a product's name, reference price, aliases or category."""
    product = registry.update_product(
        uow=uow, principal=principal, brand_id=brand_id, product_id=product_id, name=body.name,
        reference_price=_money(body.reference_price) if body.reference_price else None, aliases=body.aliases,
        category=body.category)
    rescan_after_change(app, brand_ids=[brand_id])
    return ProductOut.of(product)


@router.delete("/brands/{brand_id}/products/{product_id}", status_code=204)
def remove_product(brand_id: str, product_id: str, principal: PrincipalDep, uow: UowDep, app: AppDep) -> Response:
    """Remove a product."""
    registry.remove_product(uow=uow, principal=principal, brand_id=brand_id, product_id=product_id)
    rescan_after_change(app, brand_ids=[brand_id])
    return Response(status_code=204)


@router.get("/brands/{brand_id}/images", response_model=list[ImageOut])
def list_images(brand_id: str, principal: PrincipalDep, uow: UowDep) -> list[ImageOut]:
    """A brand's logos and official product images."""
    brand = registry.get_brand(uow=uow, principal=principal, brand_id=brand_id)
    return [ImageOut.of(brand_id, i) for i in brand.images]


@router.post("/brands/{brand_id}/images", status_code=201, response_model=ImageOut)
def upload_image(brand_id: str, principal: PrincipalDep, uow: UowDep, app: AppDep,
                 file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or GIF")],
                 kind: Annotated[str, Form(pattern="^(logo|official)$")] = "logo") -> ImageOut:
    """Upload a logo or an official product image. The bytes decide the type; size and pixel limits apply."""
    registry.require_editable(uow=uow, principal=principal, brand_id=brand_id)  # before storing any byte
    settings = app.settings
    data = file.file.read(settings.max_upload_bytes + 1)  # one byte over the limit is enough to refuse
    info = validate_image(data, settings)
    # The PDQ hash is what lets screening recognise this picture (an official photo) in someone else's listing.
    pdq = image_features(data, keypoints=False).pdq
    sha = BlobStore(settings).put(data, info.media_type)
    image = registry.add_brand_image(uow=uow, principal=principal, brand_id=brand_id, kind=kind, sha256=sha,
                                     media_type=info.media_type, size=info.size, width=info.width,
                                     height=info.height, path=f"blobs/{BlobStore.relative_path(sha)}", pdq=pdq)
    return ImageOut.of(brand_id, image)


@router.get("/brands/{brand_id}/images/{sha256}", response_class=Response,
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}, "image/gif": {}}}})
def download_image(brand_id: str, sha256: str, principal: PrincipalDep, uow: UowDep, app: AppDep) -> Response:
    """Download an uploaded image of a brand you may see."""
    brand = registry.get_brand(uow=uow, principal=principal, brand_id=brand_id)
    if not any(i.sha256 == sha256 for i in brand.images):
        raise NotFound(f"{brand_id} has no image {sha256}", field="sha256")
    data = BlobStore(app.settings).get(sha256)
    return Response(content=data, media_type=sniff(data) or "application/octet-stream",
                    headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400"})


@router.delete("/brands/{brand_id}/images/{sha256}", status_code=204)
def remove_image(brand_id: str, sha256: str, principal: PrincipalDep, uow: UowDep) -> Response:
    """Detach an image from a brand."""
    registry.remove_brand_image(uow=uow, principal=principal, brand_id=brand_id, sha256=sha256)
    return Response(status_code=204)


@router.get("/brands/{brand_id}/authorised-sellers", response_model=list[AuthorisationOut])
def list_authorised_sellers(brand_id: str, principal: PrincipalDep, uow: UowDep) -> list[AuthorisationOut]:
    """Sellers authorised to sell a brand, with their validity dates."""
    brand = registry.get_brand(uow=uow, principal=principal, brand_id=brand_id)
    return [AuthorisationOut.of(a) for a in brand.authorisations]


@router.post("/brands/{brand_id}/authorised-sellers", status_code=201, response_model=AuthorisationOut)
def add_authorised_seller(brand_id: str, body: AuthorisationIn, principal: PrincipalDep,
                          uow: UowDep, app: AppDep) -> AuthorisationOut:
    """Authorise a seller for a brand, optionally between two dates (inclusive)."""
    auth = registry.add_authorised_seller(
        uow=uow, principal=principal, brand_id=brand_id, seller_id=body.seller_id, valid_from=body.valid_from,
        valid_until=body.valid_until)
    rescan_after_change(app, brand_ids=[brand_id], seller_ids=[body.seller_id])
    return AuthorisationOut.of(auth)


@router.delete("/brands/{brand_id}/authorised-sellers/{seller_id}", status_code=204)
def remove_authorised_seller(brand_id: str, seller_id: str, principal: PrincipalDep, uow: UowDep,
                             app: AppDep) -> Response:
    """End a seller's authorisation for a brand."""
    registry.remove_authorised_seller(uow=uow, principal=principal, brand_id=brand_id, seller_id=seller_id)
    rescan_after_change(app, brand_ids=[brand_id], seller_ids=[seller_id])
    return Response(status_code=204)


@router.get("/brands/{brand_id}/knowledge", response_model=KnowledgeOut)
def get_knowledge(brand_id: str, principal: PrincipalDep, uow: UowDep) -> KnowledgeOut:
    """A brand's nicknames, design cues and same-name uses: its own, then the default pack's (with their source)."""
    return _knowledge_out(registry.get_brand_knowledge(uow=uow, principal=principal, brand_id=brand_id))


@router.post("/brands/{brand_id}/knowledge", status_code=201, response_model=TermOut)
def add_term(brand_id: str, body: TermIn, principal: PrincipalDep, uow: UowDep, app: AppDep) -> TermOut:
    """Add a nickname, design cue or collision; the next screening uses it, and affected listings are rescreened."""
    term = registry.add_brand_term(uow=uow, principal=principal, brand_id=brand_id, term=body.term, kind=body.kind,
                                   weight=body.weight, with_product=body.with_product)
    rescan_after_change(app, brand_ids=[brand_id])
    return TermOut.of(term)


@router.delete("/brands/{brand_id}/knowledge/{term_id}", status_code=204)
def remove_term(brand_id: str, term_id: str, principal: PrincipalDep, uow: UowDep, app: AppDep) -> Response:
    """Remove one of your terms by its id (a pack term is turned off with PUT .../knowledge/pack instead)."""
    registry.remove_brand_term(uow=uow, principal=principal, brand_id=brand_id, term_id=term_id)
    rescan_after_change(app, brand_ids=[brand_id])
    return Response(status_code=204)


@router.put("/brands/{brand_id}/knowledge/pack", response_model=KnowledgeOut)
def set_pack(brand_id: str, body: PackIn, principal: PrincipalDep, uow: UowDep, app: AppDep) -> KnowledgeOut:
    """Turn Klean's default brand pack on or off for the brand."""
    knowledge = registry.set_brand_pack(uow=uow, principal=principal, brand_id=brand_id, use_pack=body.use_pack)
    rescan_after_change(app, brand_ids=[brand_id])
    return _knowledge_out(knowledge)


@router.get("/registry/export")
def export_registry(principal: PrincipalDep, uow: UowDep) -> dict[str, Any]:
    """The registry as a registry file (registry.schema.json): all of it for admins, your brands otherwise."""
    return registry.export_registry(uow=uow, principal=principal)


@router.post("/registry/import", response_model=ImportOut)
def import_registry(principal: PrincipalDep, uow: UowDep, app: AppDep,
                    body: Annotated[dict[str, Any], Body(description="A registry file (registry.schema.json)")]
                    ) -> ImportOut:
    """Import a registry file (admin only): all or nothing; re-importing the same file changes nothing."""
    result = registry.import_registry(uow=uow, data=body, actor=principal)
    if result.brands_created or result.brands_updated:
        rescan_after_change(app, brand_ids=[str(b.get("id")) for b in body.get("brands", []) if isinstance(b, dict)])
    return ImportOut(**result.as_dict())
