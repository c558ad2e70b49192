"""Images of posts: what a file must be to become one (checks), the file kept and its
renditions (renditions), storing them through Django's storage API with an Image row
(storing), and where a post's Markdown names them (references)."""
