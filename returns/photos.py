"""Photos of returned items: checked (a real JPEG, PNG or WebP image, not too big,
not too many) before anything is stored, and stored under random names."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# Decoding a 20,000 × 20,000 "image" would eat the memory: Pillow refuses more.
MAX_PIXELS = 40_000_000


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to ``RETURNS_PHOTOS_PER_UPLOAD`` photos in one input; each checked."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > settings.RETURNS_PHOTOS_PER_UPLOAD:
            raise forms.ValidationError(
                _("At most %(n)s photos at a time.")
                % {"n": settings.RETURNS_PHOTOS_PER_UPLOAD},
                code="too_many",
            )
        return [checked(f) for f in files]


def checked(upload):
    """The upload with ``extension`` set, if it is a photo we keep; else a clear error."""
    if upload.size > settings.RETURNS_PHOTO_MAX_BYTES:
        raise forms.ValidationError(
            _("%(name)s is larger than %(mb)s MB.")
            % {
                "name": upload.name[:80],
                "mb": settings.RETURNS_PHOTO_MAX_BYTES // 1_000_000,
            },
            code="too_big",
        )
    try:
        with Image.open(upload) as image:
            kind = image.format
            if image.width * image.height > MAX_PIXELS:
                raise forms.ValidationError(
                    _("%(name)s has too many pixels.") % {"name": upload.name[:80]},
                    code="too_big",
                )
            image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise forms.ValidationError(
            _("%(name)s is not a photo (JPEG, PNG or WebP).")
            % {"name": upload.name[:80]},
            code="not_an_image",
        ) from exc
    if kind not in FORMATS:
        raise forms.ValidationError(
            _("%(name)s is not a JPEG, PNG or WebP photo.")
            % {"name": upload.name[:80]},
            code="not_an_image",
        )
    upload.seek(0)
    upload.photo_extension = FORMATS[kind]
    return upload
