"""The page behind a QR code, finished: its header names the certification body and its
accreditation (from the body information the body published), a suspension says since
when (the signed register entry's ``statusSince``, never why), the holder's name is shown
once, and the page links the register entry's page, which that link opens.

On SQLite and PostgreSQL, through the real back office (:class:`World`).
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

from tests.backoffice import member
from tests.registry.test_verification_page import (  # noqa: F401 - the world fixture
    BROWSER,
    SUSPENSION_REASON,
    World,
    world,
)
from tests.test_body_information import INFORMATION


def _main(text: str) -> str:
    found = re.search(r"<main id=\"main\">(.*)</main>", text, re.S)
    assert found is not None
    return found.group(1)


def test_the_header_names_the_body_and_its_accreditation(world: World) -> None:  # noqa: F811
    credential_id = world.certificate_id(world.certify())
    before = world.page(credential_id).text
    assert "Northern Welding Certification" not in before
    assert '<p class="site-name"><a href="/">Public register of certified persons</a></p>' in before
    world.office.ok("PUT", "/body-information", member(world.office, "admin"), INFORMATION)
    world.publish()
    text = world.page(credential_id).text
    header = text[text.index('<header class="site">') : text.index("</header>")]
    assert '<a href="/">Northern Welding Certification</a>' in header
    assert "Accredited by National Accreditation Service" in header
    assert '<span class="code">PC-0042</span>' in header
    home = world.public.get("/", headers={"Accept": BROWSER}).text
    assert "<h1>Public register of Northern Welding Certification</h1>" in home


def test_a_suspension_says_since_when_and_never_why(world: World) -> None:  # noqa: F811
    number = world.certify()
    credential_id = world.certificate_id(number)
    assert world.answer(credential_id)["suspendedSince"] is None
    world.move_clock(world.clock.now + timedelta(hours=3))
    world.decide(number, "suspend", {"reason": SUSPENSION_REASON})
    answer = world.answer(credential_id)
    assert answer["suspendedSince"] == "2026-11-25T12:00:00Z"
    text = world.page(credential_id).text
    assert (
        'This certification is suspended since <time datetime="2026-11-25T12:00:00Z">'
        "November 25, 2026</time>: it is not valid unless the certification body reinstates it."
    ) in text
    world.decide(number, "reinstate", {"reason": "resolved"})
    assert world.answer(credential_id)["suspendedSince"] is None
    assert "suspended since" not in world.page(credential_id).text


def test_the_holder_is_named_once_and_the_register_entry_is_linked(world: World) -> None:  # noqa: F811
    number = world.certify()
    credential_id = world.certificate_id(number)
    text = world.page(credential_id).text
    assert _main(text).count("Ana Moreau") == 1
    link = re.search(r'<a href="(/register/[^"]+)">See this certification in the public', text)
    assert link is not None
    href = html.unescape(link.group(1))
    assert href == f"/register/{number}?family_name=Moreau"
    entry = world.public.get(href, headers={"Accept": BROWSER})
    assert entry.status_code == 200
    assert 'data-standing="valid"' in entry.text
    assert f'href="/v/{credential_id}"' in entry.text
    world.seen.append(entry.text)
