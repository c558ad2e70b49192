class UnicodeSlugConverter:
    """Like Django's `slug`, but Chinese (any letter) is allowed, as SlugField(allow_unicode)."""

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class YearConverter:
    """Four digits: the years a date can have. Longer numbers are no address at all (404),
    rather than a year the database or the calendar cannot hold (issue 10, finding 10)."""

    regex = r"[0-9]{4}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):04d}"


class MonthConverter:
    """1 to 12, written without a leading zero: one address per month."""

    regex = r"1[0-2]|[1-9]"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(int(value))
