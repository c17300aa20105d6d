"""Checks on uploaded files before anything is stored: size, extension, real image content."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import models

from django_graphql_auto.introspection import FieldInfo
from django_graphql_auto.mutations.payloads import FieldError, FieldErrors
from django_graphql_auto.schema.metadata import ModelSchema


def check_upload(ms: ModelSchema, info: FieldInfo, upload: Any, where: str) -> None:
    def refuse(message: str, code: str) -> None:
        raise FieldErrors([FieldError(where, (message,), code)])

    if not isinstance(upload, UploadedFile):
        refuse("Expected a file sent with the multipart request.", "invalid")
    limit = ms.config["UPLOAD_MAX_BYTES"]
    if upload.size is not None and upload.size > limit:
        refuse(f"The file is larger than {limit} bytes.", "file_too_large")
    allowed = {ext.lower().lstrip(".") for ext in ms.config["UPLOAD_ALLOWED_EXTENSIONS"]}
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in allowed:
        refuse(
            f"File extension '{extension}' is not allowed; allowed: {', '.join(sorted(allowed))}.",
            "invalid_extension",
        )
    if isinstance(info.field, models.ImageField):
        try:
            from PIL import Image

            upload.seek(0)
            with Image.open(upload) as image:
                image.verify()
            upload.seek(0)
        except Exception:
            refuse("Upload a valid image; the file is not one or is corrupted.", "invalid_image")
