"""Blog demo app: a content domain with every common field type and relation shape."""
