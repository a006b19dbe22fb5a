"""The content of a NewsML 1.x NewsItem: which ContentItem is the story, and what else is media.

Guarantees: the body is the first text ContentItem with DataContent that is not a caption (a
caption sits in a Caption-role component or in a sub-component that also holds a picture);
inline NITF is read through ``nitf`` (its ``body.content`` as HTML, headline and byline as
fallbacks), inline XHTML (or HTML escaped as text) as HTML, anything else as plain text.
Every ContentItem@Href becomes a rendition (never fetched), every NewsItemRef an association.
Nothing here raises except ``Invalid`` for a bad size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.core.model import Association, Rendition
from shared.reading.formats import nitf
from shared.reading.formats.common.xmlsafe import local
from shared.reading.formats.nitf_html import Element, attr, find, kids, size, text, to_html

MEDIA_TYPES = {"photo": "picture", "picture": "picture", "image": "picture"}
MEDIA_TYPES |= {"graphic": "graphic", "video": "video", "audio": "audio"}
CAPTION_ROLES = frozenset(("caption", "abstract", "summary"))


@dataclass(slots=True)
class Story:
    component: Element | None = None  # the NewsComponent holding the text body
    type: str = "text"
    headline: str | None = None
    byline: str | None = None
    abstract: str | None = None
    body_html: str | None = None
    body_text: str | None = None
    renditions: list[Rendition] = field(default_factory=list)
    associations: list[Association] = field(default_factory=list)


def read(top: Element | None) -> Story:
    """The story below the NewsItem's top NewsComponent (an empty one when there is none)."""
    story = Story()
    if top is None:
        return story
    items = [e for e in top.iter() if local(e.tag) == "ContentItem"]
    body = next(
        (
            i
            for i in items
            if _is_text(i) and not _is_caption(i, top) and find(i, "DataContent") is not None
        ),
        None,
    )
    if body is not None:
        story.component = body.getparent()
        _read_body(find(body, "DataContent"), story)
    else:
        media = next((m for i in items if (m := _media_type(i)) != "text"), None)
        story.type = media or "text"
        caption = next(
            (i for i in items if _is_text(i) and find(i, "DataContent") is not None), None
        )
        story.abstract = text(find(caption, "DataContent"))
    story.renditions = [r for i in items if (r := _rendition(i)) is not None]
    story.associations = [
        Association(rel=_role(e.getparent()) or "related", uri=uri)
        for e in top.iter()
        if local(e.tag) == "NewsItemRef" and (uri := attr(e, "NewsItem"))
    ]
    return story


def _media_type(item: Element) -> str:
    """text, picture, graphic, video or audio from MediaType (MimeType as a fallback)."""
    media = (attr(find(item, "MediaType"), "FormalName") or "").lower()
    mime = (attr(find(item, "MimeType"), "FormalName") or "").lower()
    if media in MEDIA_TYPES:
        return MEDIA_TYPES[media]
    major = mime.split("/")[0]
    return {"image": "picture", "video": "video", "audio": "audio"}.get(major, "text")


def _is_text(item: Element) -> bool:
    return _media_type(item) == "text"


def _role(component: Element | None) -> str | None:
    return attr(find(component, "Role"), "FormalName")


def _is_caption(item: Element, top: Element) -> bool:
    component = item.getparent()
    if (_role(component) or "").lower() in CAPTION_ROLES:
        return True
    while component is not None and component is not top:
        if any(_media_type(i) != "text" for i in component.iter() if local(i.tag) == "ContentItem"):
            return True
        component = component.getparent()
    return False


def _read_body(data: Element | None, story: Story) -> None:
    """Inline NITF, XHTML or plain text from DataContent."""
    if data is None:
        return
    elements = [e for e in data.iter() if e is not data]
    inline = next((e for e in elements if local(e.tag) == "nitf"), None)
    if inline is not None:
        head = find(find(inline, "body"), "body.head")
        story.body_html = nitf.body_html(find(inline, "body"))
        story.headline = text(find(head, "hedline/hl1")) or text(find(inline, "head/title"))
        story.byline = text(find(head, "byline"))
        story.abstract = text(find(head, "abstract"))
        return
    content = next((e for e in elements if local(e.tag) in ("body.content", "body")), None)
    if content is not None or elements:
        story.body_html = to_html(content if content is not None else data)
    else:  # plain text, or HTML sent escaped as text (nh3 sanitises it downstream)
        raw = (data.text or "").strip() or None
        escaped = raw is not None and raw.startswith("<") and raw.endswith(">")
        story.body_html, story.body_text = (raw, None) if escaped else (None, raw)


def _rendition(item: Element) -> Rendition | None:
    href = attr(item, "Href")
    if href is None:
        return None
    traits = find(item, "Characteristics")
    props = {(attr(p, "FormalName") or "").lower(): p for p in kids(traits, "Property")}
    return Rendition(
        name=_role(item.getparent()) or attr(find(item, "MediaType"), "FormalName"),
        href=href,
        mimetype=attr(find(item, "MimeType"), "FormalName"),
        width=size(props.get("width"), attr(props.get("width"), "Value")),
        height=size(props.get("height"), attr(props.get("height"), "Value")),
        size=size(find(traits, "SizeInBytes"), text(find(traits, "SizeInBytes"))),
    )
