"""One module per feature; each defines `router: APIRouter`. app.py includes them all."""
