"""Reading a body costs time in proportion to its size, for every format and for the hostile
shapes that once made a reader superlinear (nested ``<article>``s, thousands of dropped share
buttons or ``<main>`` regions, a Content-Type of thousands of parameters, an RFC 2231 pattern
that rescanned, tens of thousands of elements in one NITF paragraph).

Each case reads a body of size N and one of size 2N through ``shared.reading.prepare.prepare`` and
compares their CPU times: a linear reader takes about twice as long, a quadratic one four times,
so the ratio must stay under ``MAX_RATIO``. A ratio, not a wall-clock limit: each time is this
process's CPU time (``time.process_time``) with the garbage collector off, the best of
``REPEATS`` runs, the two sizes run in turn so that a busy machine slows both alike, and a round
whose ratio is over the limit is measured again (``ROUNDS`` at most: noise does not last, a
superlinear reader fails every round). N makes a run last about ``MIN_RUN`` seconds; a body
refused at once is read many times over per run.
"""

from __future__ import annotations

import gc
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from shared.core.errors import InputError
from shared.core.model import Profile
from shared.reading.prepare import prepare

MAX_RATIO = 3.0
REPEATS = 3
ROUNDS = 3  # rounds of REPEATS runs at most, while the ratio is over MAX_RATIO
MIN_RUN = 0.05  # seconds of CPU per timed run
RECEIVED = datetime(2024, 4, 20, 9, 0, tzinfo=UTC)
PROFILE = Profile(timezone="Europe/Warsaw")

WORDS = (
    "The harbour board said the new quay at Gdynia would take two more years and cost "
    "{i} million zloty more than planned, after divers found old mooring blocks on the seabed."
)


def sentence(i: int) -> str:
    return WORDS.format(i=i + 10)


# --- one body of each format, N paragraphs (or N feed items) long ------------------------------


def ninjs(n: int) -> bytes:
    body = "".join(f"<p>{sentence(i)}</p>\n" for i in range(n))
    item = {
        "uri": "urn:example:harbour:1",
        "type": "text",
        "version": "2",
        "headline": "Gdynia quay delayed by two years",
        "byline": "Ewa Nowak",
        "firstcreated": "2024-04-20T07:00:00Z",
        "subject": [{"code": "04000000", "name": "economy"}],
        "keywords": ["harbour", "Gdynia"],
        "body_html": body,
    }
    return json.dumps(item).encode()


NITF_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<nitf><head><title>Gdynia quay delayed</title>'
    '<docdata><doc-id id-string="harbour-1"/><date.issue norm="20240420T070000Z"/>'
    "</docdata></head><body><body.head><hedline><hl1>Gdynia quay delayed by two years</hl1>"
    "</hedline><byline>By Ewa Nowak<byttl>Staff Writer</byttl></byline>"
    "<dateline><location><city>GDYNIA</city></location></dateline></body.head><body.content>"
)
NITF_TAIL = "</body.content></body></nitf>"


def nitf(n: int) -> bytes:
    paragraphs = "".join(
        f"<p>{sentence(i)} <person>Jan Kowalski</person> of the <org>port</org> said so.</p>"
        for i in range(n)
    )
    return (NITF_HEAD + paragraphs + NITF_TAIL).encode()


def newsml_g2(n: int) -> bytes:
    paragraphs = "".join(f"<p>{sentence(i)}</p>" for i in range(n))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:example:g2:harbour-1"
    version="1" standard="NewsML-G2" standardversion="2.29" xml:lang="en">
  <itemMeta><itemClass qcode="ninat:text"/><provider literal="example"/>
    <versionCreated>2024-04-20T07:00:00Z</versionCreated><pubStatus qcode="stat:usable"/>
  </itemMeta>
  <contentMeta><headline>Gdynia quay delayed by two years</headline><by>Ewa Nowak</by>
    <language tag="en"/></contentMeta>
  <contentSet><inlineXML contenttype="application/xhtml+xml">
    <html xmlns="http://www.w3.org/1999/xhtml"><body>{paragraphs}</body></html>
  </inlineXML></contentSet>
</newsItem>""".encode()


def newsml1(n: int) -> bytes:
    paragraphs = "".join(f"<p>{sentence(i)}</p>" for i in range(n))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<NewsML Version="1.2"><NewsEnvelope><DateAndTime>20240420T070000Z</DateAndTime></NewsEnvelope>
<NewsItem xml:lang="en"><Identification><NewsIdentifier><ProviderId>example.com</ProviderId>
<DateId>20240420</DateId><NewsItemId>HARBOUR-1</NewsItemId><RevisionId>1</RevisionId>
<PublicIdentifier>urn:newsml:example.com:20240420:HARBOUR-1:1</PublicIdentifier>
</NewsIdentifier></Identification>
<NewsManagement><NewsItemType FormalName="News"/><FirstCreated>20240420T070000Z</FirstCreated>
<ThisRevisionCreated>20240420T070000Z</ThisRevisionCreated><Status FormalName="Usable"/>
</NewsManagement>
<NewsComponent><NewsLines><HeadLine>Gdynia quay delayed by two years</HeadLine></NewsLines>
<ContentItem><MediaType FormalName="Text"/><Format FormalName="NITF"/><DataContent>
<nitf><body><body.content>{paragraphs}</body.content></body></nitf>
</DataContent></ContentItem></NewsComponent></NewsItem></NewsML>""".encode()


def rbnews(n: int) -> bytes:
    content = "&#xD;\n".join(f"&lt;p&gt;{sentence(i)}&lt;/p&gt;" for i in range(n))
    return f"""<?xml version="1.0" encoding="utf-8"?>
<RBNews><NewsID>3c1d2a7e-0000-4e8a-9c55-0d2f6a1b7e43</NewsID>
<PublishDate>2024-04-20T09:00:00.250</PublishDate><strapline>NU/INDLAND-I</strapline>
<headline>Gdynia quay delayed by two years</headline><town>Gdynia</town><version>1</version>
<content>{content}</content><Priority>3</Priority><byLine>Ewa Nowak</byLine></RBNews>""".encode()


def rss(n: int) -> bytes:
    items = "".join(
        f"<item><title>Harbour story {i}</title><guid>harbour-{i}</guid>"
        f"<pubDate>Sat, 20 Apr 2024 07:00:00 +0000</pubDate><category>Economy</category>"
        f"<description>{sentence(i)}</description></item>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Baltic Harbour Wire</title>{items}</channel></rss>"
    ).encode()


def atom(n: int) -> bytes:
    entries = "".join(
        f"<entry><id>tag:harbour.example,2024:{i}</id><title>Harbour story {i}</title>"
        f"<updated>2024-04-20T07:00:00Z</updated><author><name>Ewa Nowak</name></author>"
        f'<content type="html">&lt;p&gt;{sentence(i)}&lt;/p&gt;</content></entry>'
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Baltic Harbour Wire</title><id>tag:harbour.example,2024:feed</id>{entries}</feed>"
    ).encode()


def html(n: int) -> bytes:
    paragraphs = "".join(
        f'<p>{sentence(i)}</p><div class="share"><a href="/s/{i}">Share</a></div>' for i in range(n)
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><title>Gdynia quay delayed | Harbour Wire</title>'
        '<meta property="og:site_name" content="Harbour Wire"></head><body><nav><a href="/">'
        'Home</a></nav><article><h1>Gdynia quay delayed by two years</h1><p class="byline">By '
        'Ewa Nowak</p><time datetime="2024-04-20T09:00">20 April</time>'
        f"{paragraphs}</article><footer>(c) Harbour Wire</footer></body></html>"
    ).encode()


def email(n: int) -> bytes:
    plain = "\r\n\r\n".join(sentence(i) for i in range(n))
    rich = "".join(f"<p>{sentence(i)}</p>\r\n" for i in range(n))
    return (
        "From: Harbour Desk <desk@harbour.example>\r\nSubject: Gdynia quay delayed by two years"
        "\r\nDate: Sat, 20 Apr 2024 09:00:00 +0200\r\nMessage-ID: <quay-1@harbour.example>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        f"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{plain}\r\n"
        f"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>{rich}</body></html>"
        "\r\n--alt--\r\n"
    ).encode()


def anpa(n: int) -> bytes:
    lines = "".join(f"\t   {sentence(i)}\r\n" for i in range(n))
    return (
        "\x16\x16\x01a0412\x1f-----\r\nu a\x13\x11 BC-Poland-Harbour 04-20 0512\r\n"
        "\x02^BC-Poland-Harbour,512<\r\n^Gdynia quay delayed by two years<\r\n"
        f"^By EWA NOWAK=\r\n^Associated Press=\r\n{lines}\r\n\x03AP-WF-04-20-24 0700GMT<\r\n\x04"
    ).encode()


def iptc7901(n: int) -> bytes:
    lines = "".join(f"{sentence(i)}\r\n\r\n" for i in range(n))
    return (
        "\x01dpa0214 3 wi 412  bdt 0123\r\nPoland/Harbour/\r\n"
        "\x02Gdynia quay delayed by two years =\r\nBy Ewa Nowak, dpa =\r\n\r\n"
        f"Gdynia (dpa) - {lines}dpa en xx\r\n\x03\r\n200700 Apr 24\r\n\x04"
    ).encode()


def text(n: int) -> bytes:
    paragraphs = "\n\n".join(sentence(i) for i in range(n))
    return (
        "Economy\n20 April 2024, 09:00\n\nGdynia quay delayed by two years\n\n"
        f"GDYNIA, 20 April (BHW) – {paragraphs}\n"
    ).encode()


# --- hostile shapes ------------------------------------------------------------------------------


def nested_articles(n: int) -> bytes:
    """``n`` chains of 250 nested ``<article>``s (the HTML parser's depth), each with a time."""
    chain = '<article><p>x</p><time datetime="2024-04-20T09:00">t</time>' * 250
    return f"<html><body>{(chain + '</article>' * 250) * n}</body></html>".encode()


def dropped_chrome(n: int) -> bytes:
    """An article of ``n`` share buttons, each followed by text that must stay."""
    return (
        "<html><body><article><h1>Gdynia quay</h1><p>The quay is late.</p><div>"
        + "<button>Share</button>word " * n
        + "</div></article></body></html>"
    ).encode()


def main_regions(n: int) -> bytes:
    """The story's ``<main>``, then ``n`` empty ``<main>`` and ``role=main`` regions (an XPath
    union of the two merged them pairwise)."""
    regions = '<main></main><b role="main"></b>' * n
    return (
        f"<html><body><main><h1>Quay</h1><p>The quay is late.</p></main>{regions}</body></html>"
    ).encode()


def mail_with_parameters(n: int) -> bytes:
    """A Content-Type of ``n`` empty parameters: the email package scans from each ``;``."""
    return (
        "From: desk@harbour.example\r\nSubject: Quay\r\n"
        f"Content-Type: text/plain; charset=utf-8{';' * n}\r\n\r\nThe quay is late.\r\n"
    ).encode()


def mail_with_extended_values(n: int) -> bytes:
    """``*=`` repeated: an RFC 2231 pattern that scanned on from each one (under the header
    length limit)."""
    return (
        "From: desk@harbour.example\r\nSubject: Quay\r\n"
        f"Content-Type: text/plain; charset=utf-8; x{'*=' * n}\r\n\r\nThe quay is late.\r\n"
    ).encode()


def nitf_elements(n: int) -> bytes:
    """One paragraph of ``n`` enriched-text elements and ``n`` empty ones: the text is unwrapped
    into one run (which once grew piece by piece), the elements are read linearly up to
    ``xmlsafe.MAX_ELEMENTS`` and refused beyond."""
    return (NITF_HEAD + "<p>" + "<org>ab</org><x/>" * n + "</p>" + NITF_TAIL).encode()


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[int], bytes]
    n: int
    content_type: str
    format: str | None  # the items' format, or None when the body is refused
    refusal: str = ""  # part of the refusal's detail


CASES = [
    Case("ninjs", ninjs, 1_800, "application/json", "ninjs"),
    Case("nitf", nitf, 1_200, "application/xml", "nitf"),
    Case("newsml-g2", newsml_g2, 1_800, "application/xml", "newsml-g2"),
    Case("newsml-1", newsml1, 1_500, "application/xml", "newsml-1"),
    Case("rbnews", rbnews, 1_500, "application/xml", "rbnews"),
    Case("rss", rss, 200, "application/xml", "rss"),
    Case("atom", atom, 250, "application/xml", "atom"),
    Case("html", html, 900, "text/html; charset=utf-8", "html"),
    Case("email", email, 1_500, "message/rfc822", "email"),
    Case("anpa", anpa, 1_500, "text/plain", "anpa-1312"),
    Case("iptc-7901", iptc7901, 1_500, "text/plain", "iptc-7901"),
    Case("text", text, 1_400, "text/plain; charset=utf-8", "text"),
    Case("html-nested-articles", nested_articles, 10, "text/html", "html"),
    Case("html-dropped-chrome", dropped_chrome, 12_000, "text/html", "html"),
    Case("html-main-regions", main_regions, 10_000, "text/html", "html"),
    Case(
        "email-content-type-parameters",
        mail_with_parameters,
        5_000,
        "message/rfc822",
        None,
        "/headers/Content-Type: the header has more than 32 parameters",
    ),
    Case("email-rfc2231-pattern", mail_with_extended_values, 2_000, "message/rfc822", "email"),
    Case("nitf-many-elements", nitf_elements, 15_000, "application/xml", "nitf"),
]


def read(raw: bytes, case: Case) -> str:
    """The formats of the items read, or the refusal's detail."""
    try:
        items = prepare(
            raw, case.content_type, namespace="t", profile=PROFILE, received_at=RECEIVED
        )
    except InputError as exc:
        return exc.detail
    return ",".join(sorted({item.format for item in items}))


def expect(outcome: str, case: Case) -> None:
    assert (outcome == case.format) if case.format else (case.refusal in outcome), outcome


def cpu(raw: bytes, case: Case, times: int) -> float:
    """The CPU time of reading ``raw`` ``times`` times over, the garbage collector off."""
    gc.disable()
    try:
        start = time.process_time()
        for _ in range(times):
            expect(read(raw, case), case)
        return time.process_time() - start
    finally:
        gc.enable()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reading_twice_the_body_costs_at_most_three_times_the_time(case: Case) -> None:
    small, large = case.make(case.n), case.make(2 * case.n)
    warm_up = cpu(small, case, 1)  # also loads what is loaded once: imports, the language model
    times = math.ceil(MIN_RUN / max(warm_up, 1e-6))  # a body refused at once is read many times
    best_small = best_large = math.inf
    for _ in range(ROUNDS):  # a noisy round is measured again; a superlinear reader fails each
        for _ in range(REPEATS):
            best_small = min(best_small, cpu(small, case, times))
            best_large = min(best_large, cpu(large, case, times))
        if best_large <= MAX_RATIO * best_small:
            break
    ratio = best_large / best_small
    assert ratio <= MAX_RATIO, f"{case.name}: 2N took {ratio:.2f} times as long as N"
