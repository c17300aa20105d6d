"""django-graphql-auto: a complete, secure and fast GraphQL API generated from Django models."""

__version__ = "0.1.0.dev0"
