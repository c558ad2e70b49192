class UnicodeSlugConverter:
    """Like Django's `slug`, but Chinese (any letter) is allowed, as SlugField(allow_unicode)."""

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
