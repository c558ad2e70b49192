"""Every category, tag and post gets an address: a slug that is empty (a tag named 🔥 or !!!
made before issue 10) or that the URL patterns cannot carry becomes <kind>-<id>, as the write
path names such rows now. Rows are read in Python, not with a database regex, so the test is
the same on SQLite and PostgreSQL (whose \\w depends on the database's locale)."""

import re

from django.db import migrations

ADDRESS_RE = re.compile(r"[-\w]+")  # blog.converters.UnicodeSlugConverter's pattern

KINDS = [("blog", "Category", "category"), ("taggit", "Tag", "tag"), ("blog", "Post", "post")]


def give_addresses(apps, schema_editor):
    for app_label, model_name, prefix in KINDS:
        model = apps.get_model(app_label, model_name)
        rows = model._default_manager.values_list("pk", "slug")
        broken = [pk for pk, slug in rows.iterator() if not ADDRESS_RE.fullmatch(slug)]
        for pk in broken:
            slug, n = f"{prefix}-{pk}", 2
            while model._default_manager.filter(slug=slug).exclude(pk=pk).exists():
                slug, n = f"{prefix}-{pk}-{n}", n + 1
            model._default_manager.filter(pk=pk).update(slug=slug)


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0005_publish_permission"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(give_addresses, migrations.RunPython.noop)]
