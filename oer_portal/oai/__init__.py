"""OAI-PMH 2.0 at ``/oai``: harvesters (Edurep, Wikiwijs, a library's discovery service) copy
the metadata of every published material in Dublin Core (``oai_dc``) or IEEE LOM with the
Dutch NL-LOM vocabularies (``lom``).

``protocol.py`` checks the arguments and signs the resumption tokens, ``records.py`` reads
the records in keyset batches, ``formats.py`` writes a record's metadata, ``service.py``
answers the six verbs as a stream of XML and ``views.py`` is the endpoint.  See "OAI-PMH" in
``docs/architecture.md``.
"""
