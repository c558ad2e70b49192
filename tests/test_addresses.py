"""Old addresses keep working: a renamed post, category or tag answers its old address with a
301 to where it is now (through any number of renames, feeds and query strings included),
an imported post its old site's paths; a live address always wins."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from taggit.models import Tag

from blog import publishing
from blog.models import Category, FormerAddress, Post
from tests.forms import post_form


def followed(client, address):
    """The 301 an address answers, as (status, where it leads)."""
    answer = client.get(address)
    return answer.status_code, answer.headers.get("Location")


def rename(post, slug):
    post.slug = slug
    return publishing.save_post(post)


def test_a_post_renamed_twice_leads_from_both_old_addresses_to_the_new(client, make_post):
    post = make_post(slug="first")
    rename(post, "second")
    rename(post, "third")
    assert followed(client, "/posts/first/") == (301, "/posts/third/")
    assert followed(client, "/posts/second/") == (301, "/posts/third/")
    assert client.get("/posts/third/").status_code == 200


def test_renamed_in_the_admin_too(admin_client, client, make_post):
    post = make_post(slug="卷积", summary="摘要。")
    form = post_form(post, slug="卷积神经网络")
    assert admin_client.post(f"/admin/blog/post/{post.pk}/change/", form).status_code == 302
    status, where = followed(client, "/posts/%E5%8D%B7%E7%A7%AF/")
    assert status == 301 and where == Post.objects.get(pk=post.pk).get_absolute_url()


def test_a_slug_taken_by_another_post_is_that_post_s(client, make_post):
    old = make_post(slug="taken")
    rename(old, "moved-away")
    newer = make_post(slug="taken", title="新的同名文章")
    answer = client.get("/posts/taken/")
    assert answer.status_code == 200 and "新的同名文章" in answer.content.decode()
    rename(newer, "newer-moved")  # the address is the newer one's now
    assert followed(client, "/posts/taken/") == (301, "/posts/newer-moved/")


def test_a_post_renamed_back_answers_there_and_from_the_other(client, make_post):
    post = make_post(slug="a")
    rename(post, "b")
    rename(post, "a")
    assert client.get("/posts/a/").status_code == 200
    assert followed(client, "/posts/b/") == (301, "/posts/a/")


def test_an_old_address_of_a_draft_leads_nowhere(client, make_post):
    post = make_post(slug="public-once")
    rename(post, "now-a-draft")
    post.status = Post.Status.DRAFT
    publishing.save_post(post)
    assert client.get("/posts/public-once/").status_code == 404


def test_a_renamed_category_s_pages_and_feeds_lead_to_the_new_ones(client, make_post, category):
    make_post()
    category.slug = "dl"
    publishing.save_category(category)
    category.slug = "deep"
    publishing.save_category(category)
    assert followed(client, "/category/deep-learning/") == (301, "/category/deep/")
    assert followed(client, "/category/dl/?page=2") == (301, "/category/deep/?page=2")
    assert followed(client, "/category/deep-learning/feed/atom/") == (
        301,
        "/category/deep/feed/atom/",
    )


def test_renamed_and_merged_tags_lead_to_the_tag_left(client, make_post):
    make_post(tags=["PyTorch", "torch", "火炬"])
    tag = Tag.objects.get(name="PyTorch")
    tag.slug = "pytorch-2"
    publishing.save_tag(tag)
    assert followed(client, "/tag/pytorch/") == (301, "/tag/pytorch-2/")
    publishing.merge_tags(Tag.objects.filter(name__in=["torch", "PyTorch"]), into="火炬")
    left = reverse("blog:tag", kwargs={"slug": Tag.objects.get(name="火炬").slug})
    assert followed(client, "/tag/torch/") == (301, left)
    assert followed(client, "/tag/pytorch-2/") == (301, left)
    assert followed(client, "/tag/pytorch/") == (301, left)  # the first rename's too
    assert client.get(left).status_code == 200


def test_an_address_that_never_named_anything_stays_a_404(client, make_post):
    make_post(slug="here")
    assert client.get("/posts/nowhere/").status_code == 404
    assert client.get("/2019/01/nowhere/").status_code == 404


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("front_matter", "old"),
    [
        ("permalink: 2019/05/grad-descent/", "/2019/05/grad-descent/"),  # Hexo
        ("permalink: /blog/grad-descent.html", "/blog/grad-descent.html"),  # Jekyll
        ("url: /notes/gd/", "/notes/gd/"),  # Hugo
        ("aliases:\n  - /old/gd/\n  - https://old.example.com/p/17/", "/p/17/"),  # Hugo
    ],
)
def test_an_imported_post_keeps_its_old_site_s_paths(client, db, tmp_path, front_matter, old):
    path = write(
        tmp_path / "gd.md", f"---\ntitle: 梯度下降\nslug: gd\n{front_matter}\n---\n正文。\n"
    )
    call_command("import_markdown", str(path), stdout=None)
    assert followed(client, old) == (301, "/posts/gd/")
    assert followed(client, old.rstrip("/")) == (301, "/posts/gd/")
    call_command("import_markdown", str(path), stdout=None)  # again: still one address
    assert FormerAddress.objects.filter(old=old).count() == 1


def test_an_imported_path_that_is_the_post_s_own_is_not_kept(db, tmp_path):
    path = write(
        tmp_path / "gd.md", "---\ntitle: 梯度下降\nslug: gd\nurl: /posts/gd/\n---\n正文。\n"
    )
    call_command("import_markdown", str(path), stdout=None)
    assert not FormerAddress.objects.exists()
    assert Category.objects.exists()
