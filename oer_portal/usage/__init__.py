"""Statistics for authors: how often a material's page was shown and its files downloaded,
per day, counted without personal data and without a write in the request's transaction
(``counter``), and the page that shows them to the material's authors (``service``,
``chart``, ``views``, ``panels``)."""
