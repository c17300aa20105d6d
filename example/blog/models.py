"""Blog models.

The field mix is deliberate: between them these models cover nearly every built-in field type
(big integers, decimals, durations, UUIDs, JSON, files), every relation shape (FK, self-FK,
one-to-one to the user model, plain M2M) and a proxy with a filtering manager, so the generated
API can be exercised against all of them. Some fields exist only to be hidden: ``api_token`` and
``password_hash`` look sensitive, and ``internal_notes`` is excluded in settings.
"""

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from django_graphql_auto import graphql_mutation


class Author(models.Model):
    name = models.CharField(max_length=100, help_text="Full name shown on posts")
    email = models.EmailField(unique=True, help_text="Contact address; unique per author")
    bio = models.TextField(blank=True)
    website = models.URLField(blank=True)
    birth_date = models.DateField(null=True, blank=True)
    api_token = models.CharField(
        max_length=64,
        blank=True,
        help_text="Token for the author's publishing client; secret",
    )
    password_hash = models.CharField(max_length=128, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
    )

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    description = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    def __str__(self) -> str:
        return self.name


class Timestamped(models.Model):
    """Abstract base: its fields land in each concrete child's own table."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Post(Timestamped):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    title = models.CharField(max_length=200, help_text="Headline, shown in listings")
    slug = models.SlugField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="posts")
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    views = models.PositiveIntegerField(default=0)
    rating = models.FloatField(null=True, blank=True)
    score = models.BigIntegerField(default=0, help_text="Ranking score; may exceed 32 bits")
    price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    published_at = models.DateTimeField(null=True, blank=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    reading_time = models.DurationField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    cover = models.ImageField(upload_to="covers/", blank=True)
    attachment = models.FileField(upload_to="attachments/", blank=True)
    is_featured = models.BooleanField(default=False)
    internal_notes = models.TextField(blank=True, help_text="Editorial notes; never published")

    def __str__(self) -> str:
        return self.title

    @graphql_mutation(description="Publish the post now, or at the given time.")
    def publish(self, at: dt.datetime | None = None) -> "Post":
        if self.status == self.Status.PUBLISHED:
            raise ValidationError({"status": "The post is already published."}, code="invalid")
        self.status = self.Status.PUBLISHED
        self.published_at = at or timezone.now()
        self.save(update_fields=["status", "published_at", "updated_at"])
        return self

    @graphql_mutation(name="tag_with")
    def add_tag_names(self, names: list[str]) -> list["Tag"]:
        """Attach tags by name, creating the missing ones; returns the post's tags."""
        for name in names:
            tag, _ = Tag.objects.get_or_create(name=name)
            self.tags.add(tag)
        return list(self.tags.all())

    # Deliberately a plain method: the API must not expose arbitrary model methods.
    def word_count(self) -> int:
        return len(self.body.split())


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author_name = models.CharField(max_length=100)
    body = models.TextField()
    is_approved = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Comment by {self.author_name} on post #{self.post_id}"


class PublishedPostManager(models.Manager):
    """Narrows the default queryset, so anything built on the default manager sees less."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(status=Post.Status.PUBLISHED)


class PublishedPost(Post):
    objects = PublishedPostManager()

    class Meta:
        proxy = True
