"""Introspection of the example models: fields, both sides of relations, inheritance."""

from __future__ import annotations

from blog.models import Author, Comment, Post, PublishedPost, Tag, Timestamped
from clinic.models import Appointment, Doctor, Patient, Person

from django_graphql_auto.introspection import inspect_model


def test_field_metadata():
    post = inspect_model(Post)
    title = post.fields["title"]
    assert (title.internal_type, title.max_length, title.null, title.blank) == (
        "CharField",
        200,
        False,
        False,
    )
    assert title.help_text == "Headline, shown in listings"
    status = post.fields["status"]
    assert status.has_default and status.default == "draft"
    assert status.choices == (
        ("draft", "Draft"),
        ("published", "Published"),
        ("archived", "Archived"),
    )
    price = post.fields["price"]
    assert (price.max_digits, price.decimal_places) == (10, 2)
    assert post.fields["created_at"].auto_now_add and not post.fields["created_at"].auto_now
    assert post.fields["updated_at"].auto_now
    assert post.fields["rating"].null and post.fields["rating"].blank
    assert post.fields["id"].primary_key
    kinds = {name: f.internal_type for name, f in post.fields.items()}
    assert kinds["score"] == "BigIntegerField"
    assert kinds["reading_time"] == "DurationField"
    assert kinds["metadata"] == "JSONField"
    assert kinds["cover"] == "FileField"  # ImageField reports its parent's internal type
    assert kinds["uuid"] == "UUIDField"


def test_abstract_base_fields_belong_to_the_child():
    post = inspect_model(Post)
    assert Timestamped in post.inheritance.abstract_bases
    assert post.fields["created_at"].inherited_from is None


def test_relations_on_both_sides():
    post = inspect_model(Post)
    author = post.relationships["author"]
    assert (author.kind, author.many, author.forward, author.attname) == (
        "foreign_key",
        False,
        True,
        "author_id",
    )
    assert author.related_model is Author and author.remote_name == "posts"
    tags = post.relationships["tags"]
    assert (tags.kind, tags.many, tags.through) == ("many_to_many", True, None)
    comments = post.relationships["comments"]
    assert (comments.kind, comments.related_model, comments.remote_name) == (
        "reverse_foreign_key",
        Comment,
        "post",
    )
    reverse_tags = inspect_model(Tag).relationships["posts"]
    assert (reverse_tags.kind, reverse_tags.related_model) == ("reverse_many_to_many", Post)
    # One-to-one to the user model, and its reverse on the user side is not ours to expose here.
    assert inspect_model(Author).relationships["user"].kind == "one_to_one"


def test_many_to_many_with_through():
    patients = inspect_model(Doctor).relationships["patients"]
    assert patients.through is Appointment and not patients.editable_through
    doctors = inspect_model(Patient).relationships["doctors"]
    assert doctors.kind == "reverse_many_to_many" and doctors.through is Appointment


def test_multi_table_inheritance():
    doctor = inspect_model(Doctor)
    assert doctor.inheritance.parents == (Person,)
    assert doctor.fields["first_name"].inherited_from == "clinic.Person"
    assert doctor.pk_name == "person_ptr"
    assert doctor.relationships["person_ptr"].parent_link


def test_proxy_model():
    proxy = inspect_model(PublishedPost)
    assert proxy.inheritance.is_proxy and proxy.inheritance.concrete_model is Post
    assert set(proxy.fields) == set(inspect_model(Post).fields)


def test_custom_manager_is_the_default_manager():
    assert PublishedPost._default_manager.__class__.__name__ == "PublishedPostManager"
    assert hasattr(Appointment._default_manager, "upcoming")


def test_only_decorated_methods_are_discovered():
    methods = inspect_model(Post).methods
    assert set(methods) == {"publish", "add_tag_names"}  # never word_count or save
    publish = methods["publish"]
    assert publish.options["name"] == "publish" and publish.options["operation"] == "change"
    ((name, _annotation, default),) = publish.parameters
    assert name == "at" and default is None
    assert methods["add_tag_names"].options["name"] == "tag_with"
