"""Portal pages, one module per feature; each defines `router: APIRouter`, included by web.app.mount."""
