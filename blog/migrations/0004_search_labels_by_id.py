"""Search entries carry their post's category and tags as label tokens (ids), not names, so a
rename writes no entry (see blog.search). Existing entries are rewritten once."""

from django.db import migrations


def labels_by_id(apps, schema_editor):
    Post = apps.get_model("blog", "Post")
    SearchEntry = apps.get_model("blog", "SearchEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    content_type = ContentType.objects.filter(app_label="blog", model="post").first()
    tokens = {pk: [f"xlblc{category}x"] for pk, category in
              Post.objects.values_list("pk", "category_id")}  # fmt: skip
    if content_type is not None:
        tagged = TaggedItem.objects.filter(content_type=content_type).order_by("tag_id")
        for pk, tag in tagged.values_list("object_id", "tag_id"):
            if pk in tokens:
                tokens[pk].append(f"xlblt{tag}x")
    for pk, words in tokens.items():
        SearchEntry.objects.filter(post_id=pk).update(tags=" ".join(words))


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0003_write_path"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(labels_by_id, migrations.RunPython.noop)]
