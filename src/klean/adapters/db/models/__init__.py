"""ORM rows, one module per feature. Every module here is imported by base.load_models()."""
