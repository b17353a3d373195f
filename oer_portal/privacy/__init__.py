"""Privacy rights (AVG/GDPR): download all one's personal data, delete one's account, and
the privacy page.  It builds on every feature that stores something about a person (it
imports them; none imports it), so a new kind of personal data is added here, in one place:
a section of :mod:`oer_portal.privacy.export` and a step of
:mod:`oer_portal.privacy.erasure`."""
