"""Project package for the django-graphql-auto demo; the interesting code lives in the apps."""
