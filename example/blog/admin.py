"""Admin registrations, so the demo data can be inspected and edited next to the API."""

from django.contrib import admin

from .models import Author, Category, Comment, Post, PublishedPost, Tag


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "website"]
    search_fields = ["name", "email"]
    raw_id_fields = ["user"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "status", "published_at", "is_featured"]
    list_filter = ["status", "is_featured", "category"]
    search_fields = ["title", "slug"]
    # Thousands of rows after load_demo_data: plain <select>s would render every one.
    raw_id_fields = ["author"]
    filter_horizontal = ["tags"]


@admin.register(PublishedPost)
class PublishedPostAdmin(PostAdmin):
    pass


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["author_name", "post", "is_approved", "created_at"]
    list_filter = ["is_approved"]
    raw_id_fields = ["post"]
