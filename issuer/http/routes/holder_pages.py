"""The pages of a certified person's own access, as HTML that needs no JavaScript.

They share the registry's layout, style sheet and Content Security Policy (no script, no
outside resource, forms posting only to this site), and are never cached: each shows one
person's own records. :mod:`issuer.http.routes.holder` serves them.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import Response
from jinja2 import DictLoader, Environment, StrictUndefined
from markupsafe import Markup

from issuer.model import Certification
from registry.pages import CSS, HTML_MEDIA_TYPE, PAGE_HEADERS

__all__ = ["HEADERS", "SITE", "linkedin_url", "page"]

SITE = "Your certifications"
HEADERS = {**PAGE_HEADERS, "Cache-Control": "no-store"}
"""The registry's page headers, and never kept by a browser or a proxy: the pages are one
person's."""

_BASE = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{ title }} · {{ site_name }}</title>
<style>{{ css }}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<p class="site-name"><a href="/holder">{{ site_name }}</a></p>
</header>
<main id="main">
{% block content %}{% endblock %}
</main>
<footer class="site">
<p>Your own records, kept by the certification body. Only you see this page.</p>
</footer>
</body>
</html>
"""

_SIGN_IN = """{% extends "holder_base.html" %}
{% block content %}
<h1>Sign in to your certifications</h1>
{% if sent %}
<div class="banner banner-ok" role="status"><p>If this address is the one we have on
record, we have sent a sign-in link to it. The link works once, for {{ minutes }} minutes.
If nothing arrives, ask the certification body to give you a link.</p></div>
{% endif %}
{% if signed_out %}<p role="status">You are signed out.</p>{% endif %}
<p>Type the e-mail address the certification body has on record for you. We send you a
link that signs you in; no password is needed.</p>
<form method="post" action="/holder/sign-in">
<p><label for="email">Your e-mail address</label><br>
<input id="email" name="email" type="email" maxlength="254" autocomplete="email" required></p>
<p><button type="submit">Send me a sign-in link</button></p>
</form>
{% endblock %}
"""

_LINK = """{% extends "holder_base.html" %}
{% block content %}
<h1>Sign in</h1>
<p>This link signs you in to your certifications. It works once.</p>
<form method="post" action="/holder/link">
<input type="hidden" name="token" value="{{ token }}">
<p><button type="submit">Sign in</button></p>
</form>
{% endblock %}
"""

_PROBLEM = """{% extends "holder_base.html" %}
{% block content %}
<h1>{{ heading }}</h1>
<p>{{ message }}</p>
<p><a href="{{ next_href }}">{{ next_label }}</a></p>
{% endblock %}
"""

_SIGN_OUT = """<form method="post" action="/holder/sign-out">
<input type="hidden" name="csrf" value="{{ csrf }}">
<p><button type="submit">Sign out</button></p>
</form>"""

_HOME = """{% extends "holder_base.html" %}
{% block content %}
<h1>{{ name }}</h1>
<h2>Your certifications</h2>
{% if certifications %}
<ul class="cards">
{% for c in certifications %}
<li><a href="/holder/certifications/{{ c.number }}">{{ c.scheme }}</a>
<span class="meta">Certificate <span class="code">{{ c.number }}</span> · {{ c.status }}
· valid until {{ c.expiry }}</span></li>
{% endfor %}
</ul>
{% else %}
<p>No certification is on record for you yet.</p>
{% endif %}
<h2 id="directory">The public directory</h2>
<p>The public register always confirms your certificate to someone who has its number and
your family name. The directory is different: anyone can find your name there. It is your
choice, and you can change it at any time.</p>
<p role="status">Now: <strong>{{ "You are listed in the directory." if listed
else "You are not listed in the directory." }}</strong></p>
<form method="post" action="/holder/directory">
<input type="hidden" name="csrf" value="{{ csrf }}">
<input type="hidden" name="listed" value="{{ "no" if listed else "yes" }}">
<p><button type="submit">{{ "Take me out of the directory" if listed
else "List me in the directory" }}</button></p>
</form>
<h2>Appeals</h2>
{% if appeals %}
<ul class="cards">
{% for a in appeals %}
<li>Appeal received {{ a.received_on }}<span class="meta">{{ a.state }}</span></li>
{% endfor %}
</ul>
{% endif %}
<p>If you disagree with a decision about you, you can appeal it:
<a href="/holder/appeals/new">make an appeal</a>.</p>
{% include "sign_out.html" %}
{% endblock %}
"""

_CERTIFICATION = """{% extends "holder_base.html" %}
{% block content %}
<p class="crumbs"><a href="/holder">Your certifications</a></p>
<h1>{{ scheme }}</h1>
<dl class="facts">
<dt>Certificate</dt><dd><span class="code">{{ number }}</span></dd>
<dt>Status</dt><dd>{{ standing }}</dd>
<dt>Valid from</dt><dd>{{ effective }}</dd>
<dt>Valid until</dt><dd>{{ expiry }}</dd>
<dt>Scope</dt><dd>{{ scope }}</dd>
</dl>
{% if credential %}
<h2>Your certificate</h2>
<ul>
<li><a href="{{ credential }}/certificate.pdf" download>Printable certificate (PDF)</a></li>
<li>QR code: <a href="{{ credential }}/qr.svg" download>SVG</a> ·
<a href="{{ credential }}/qr.png" download>PNG</a></li>
<li><a href="{{ credential }}/credential.jwt" download>Signed credential file</a>
<span class="meta">(a W3C verifiable credential, for a digital wallet)</span></li>
{% if open_badges_url %}
<li><a href="{{ open_badges_url }}" download>Open Badges 3.0 file</a></li>
{% endif %}
</ul>
{% if wallet_offer %}
<h2>Add it to a digital wallet</h2>
<p>Your wallet app receives your certificate, bound to a key only your wallet holds.</p>
<form method="post" action="/holder/certifications/{{ number }}/wallet-offer">
<input type="hidden" name="csrf" value="{{ csrf }}">
<p><button type="submit">Add to a wallet</button></p>
</form>
{% endif %}
<h2>Share it</h2>
<p>Anyone can check your certificate at this address, which is the one in its QR code:</p>
<p><a class="code" href="{{ share_url }}">{{ share_url }}</a></p>
<p><a href="{{ linkedin_url }}" rel="noopener noreferrer">Add it to your LinkedIn
profile</a></p>
{% endif %}
<h2>Disagree with a decision?</h2>
<p><a href="/holder/appeals/new?certificate={{ number }}">Make an appeal</a></p>
{% endblock %}
"""

_APPEAL = """{% extends "holder_base.html" %}
{% block content %}
<p class="crumbs"><a href="/holder">Your certifications</a></p>
<h1>Make an appeal</h1>
<p>You can ask the certification body to reconsider a decision about you. Someone who took
no part in the decision looks at it again, and the body tells you the outcome.</p>
{% if errors %}
<div class="banner banner-bad"><p>Please correct this:</p><ul>
{% for error in errors %}<li>{{ error }}</li>{% endfor %}</ul></div>
{% endif %}
{% if decisions %}
<form method="post" action="/holder/appeals">
<input type="hidden" name="csrf" value="{{ csrf }}">
<h2><label for="decision">Which decision?</label></h2>
<select id="decision" name="decision">
{% for d in decisions %}
<option value="{{ d.value }}"{% if d.value == chosen %} selected{% endif %}>{{ d.label }}</option>
{% endfor %}
</select>
<h2><label for="grounds">Why do you disagree?</label></h2>
<textarea id="grounds" name="grounds" rows="10" cols="60" maxlength="{{ max_grounds }}"
 required>{{ grounds }}</textarea>
<p><button type="submit">Send the appeal</button></p>
</form>
{% else %}
<p>No decision about you is on record that you could appeal.</p>
{% endif %}
{% endblock %}
"""

_APPEAL_SENT = """{% extends "holder_base.html" %}
{% block content %}
<p class="crumbs"><a href="/holder">Your certifications</a></p>
<h1>Appeal received</h1>
<p role="status">Thank you. Your appeal was received on {{ received_on }}. The certification
body will acknowledge it by {{ acknowledge_by }} and decide it by {{ decide_by }}.</p>
{% endblock %}
"""

_WALLET_OFFER = """{% extends "holder_base.html" %}
{% block content %}
<p class="crumbs"><a href="/holder/certifications/{{ number }}">Back to your certificate</a></p>
<h1>Add your certificate to a wallet</h1>
<p>Open your wallet app and scan this code. It works once, within {{ minutes }} minutes.</p>
<figure class="qr">{{ qr }}</figure>
<p>Is the wallet on this device? <a href="{{ link }}">Open the offer in your wallet</a>.</p>
<h2>Your code</h2>
<p>The wallet asks for this code. Do not show it to anyone else.</p>
<p class="code" role="status"><strong>{{ tx_code }}</strong></p>
<p>If you leave this page, make a new offer: this one is not shown again.</p>
{% endblock %}
"""

_environment = Environment(
    loader=DictLoader(
        {
            "holder_base.html": _BASE,
            "holder_sign_in.html": _SIGN_IN,
            "holder_link.html": _LINK,
            "holder_problem.html": _PROBLEM,
            "sign_out.html": _SIGN_OUT,
            "holder_home.html": _HOME,
            "holder_certification.html": _CERTIFICATION,
            "holder_appeal.html": _APPEAL,
            "holder_appeal_sent.html": _APPEAL_SENT,
            "holder_wallet_offer.html": _WALLET_OFFER,
        }
    ),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def page(
    template: str,
    *,
    title: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    body = _environment.get_template(f"{template}.html").render(
        title=title,
        lang="en",
        site_name=SITE,
        css=Markup(CSS),  # noqa: S704 - the registry's constant, hashed into its CSP
        **context,
    )
    return Response(
        body.encode("utf-8"),
        status_code=status,
        media_type=HTML_MEDIA_TYPE,
        headers={**HEADERS, **(headers or {})},
    )


def linkedin_url(
    certification: Certification, *, scheme: str, body_name: str, share_url: str
) -> str:
    """LinkedIn's "Add to profile" address for a certification, filled in: the name, the
    issuing body, the issue and expiry month, the verification address and the number."""
    issued: date = certification.original_certification_date
    expires: date = certification.expiry_date
    query = {
        "startTask": "CERTIFICATION_NAME",
        "name": scheme,
        "organizationName": body_name,
        "issueYear": str(issued.year),
        "issueMonth": str(issued.month),
        "expirationYear": str(expires.year),
        "expirationMonth": str(expires.month),
        "certUrl": share_url,
        "certId": certification.certificate_number,
    }
    return "https://www.linkedin.com/profile/add?" + urlencode(query)
