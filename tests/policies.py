"""Small `Policy` subclasses used by the policy-seam tests (selected with the `POLICY` setting).

Each one restricts exactly one thing, so a test proves that one rule holds on every path.
"""

from __future__ import annotations

from blog.models import Author, Category, Comment, Post, Tag
from clinic.models import Patient

from django_graphql_auto.security.policy import Policy


class AllowEverything(Policy):
    """The base policy unchanged: the control case for the restricted ones."""


class DenyComments(Policy):
    """Comments may not be read at all (operation level)."""

    def allows(self, ctx, model, operation):
        return model is not Comment


class HideUnapprovedComments(Policy):
    """Only approved comments exist for the caller (row level, in SQL)."""

    def filters_rows(self, ctx, model):
        return model is Comment

    def filter_rows(self, ctx, model, queryset):
        if model is Comment:
            return queryset.filter(is_approved=True)
        return queryset


class HideDraftPosts(Policy):
    """Draft posts do not exist for the caller (row level, on the target of to-one relations)."""

    def filters_rows(self, ctx, model):
        return model is Post

    def filter_rows(self, ctx, model, queryset):
        if model is Post:
            return queryset.exclude(status=Post.Status.DRAFT)
        return queryset


class HideAuthorEmail(Policy):
    """Every field of Author but `email` may be read (field level)."""

    def readable_fields(self, ctx, model):
        if model is Author:
            return frozenset(f.name for f in Author._meta.get_fields()) - {"email"}
        return None


class HidePostComments(Policy):
    """The `comments` relation of Post is not readable (field level, on a relation)."""

    def readable_fields(self, ctx, model):
        if model is Post:
            return frozenset(f.name for f in Post._meta.get_fields()) - {"comments"}
        return None


class CountingHideUnapprovedComments(HideUnapprovedComments):
    """Records how often each question is asked, to show answers are memoised per request."""

    calls: list[tuple[str, str]] = []

    def allows(self, ctx, model, operation):
        type(self).calls.append(("allows", model.__name__))
        return super().allows(ctx, model, operation)

    def filter_rows(self, ctx, model, queryset):
        type(self).calls.append(("filter_rows", model.__name__))
        return super().filter_rows(ctx, model, queryset)

    def readable_fields(self, ctx, model):
        type(self).calls.append(("readable_fields", model.__name__))
        return super().readable_fields(ctx, model)


class DenyAuthors(Policy):
    """Authors may not be read at all: the target of the to-one `Post.author` is denied."""

    def allows(self, ctx, model, operation):
        return model is not Author


class HidePseudonymousAuthors(Policy):
    """Authors whose name starts with "Pseudo" do not exist for the caller (to-one target)."""

    def filters_rows(self, ctx, model):
        return model is Author

    def filter_rows(self, ctx, model, queryset):
        if model is Author:
            return queryset.exclude(name__startswith="Pseudo")
        return queryset


class HidePrivateCategories(Policy):
    """Categories whose slug starts with "private" do not exist (target of a nullable to-one)."""

    def filters_rows(self, ctx, model):
        return model is Category

    def filter_rows(self, ctx, model, queryset):
        if model is Category:
            return queryset.exclude(slug__startswith="private")
        return queryset


class HideInternalTags(Policy):
    """Tags named "internal..." do not exist for the caller (many-to-many target)."""

    def filters_rows(self, ctx, model):
        return model is Tag

    def filter_rows(self, ctx, model, queryset):
        if model is Tag:
            return queryset.exclude(name__startswith="internal")
        return queryset


class PostsWithApprovedComments(Policy):
    """Only posts with an approved comment exist: a rule joining a to-many relation (reverse
    foreign key), with the DISTINCT such a rule needs."""

    def filters_rows(self, ctx, model):
        return model is Post

    def filter_rows(self, ctx, model, queryset):
        if model is Post:
            return queryset.filter(comments__is_approved=True).distinct()
        return queryset


class TagsOfPublishedPosts(Policy):
    """Only tags of a published post exist: a rule joining the very many-to-many relation a
    post's `tags` list goes through."""

    def filters_rows(self, ctx, model):
        return model is Tag

    def filter_rows(self, ctx, model, queryset):
        if model is Tag:
            return queryset.filter(posts__status="published")
        return queryset


class KeepEveryPatient(Policy):
    """A row rule on Patient that hides nobody: answers must not change because a rule exists."""

    def filters_rows(self, ctx, model):
        return model._meta.concrete_model is Patient

    def filter_rows(self, ctx, model, queryset):
        if model._meta.concrete_model is Patient:
            return queryset.filter(pk__gte=0)
        return queryset
