"""Harvested metadata onto the portal's fields: mapped where a value names one of the
portal's terms or licences, kept as the source wrote it otherwise."""

from __future__ import annotations

import pytest
from lxml import etree

from oer_portal.collections.mapping import from_lom, from_oai_dc, licence_id

OAI_DC = b"""<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
    xmlns:dc="http://purl.org/dc/elements/1.1/">
  <dc:title>Vulkanen   en aardbevingen</dc:title>
  <dc:creator>Bea Bakker</dc:creator>
  <dc:creator>bea bakker</dc:creator>
  <dc:creator>Cas, de Vries</dc:creator>
  <dc:subject>Aardrijkskunde</dc:subject>
  <dc:subject>biology</dc:subject>
  <dc:subject>Vulkanologie</dc:subject>
  <dc:description>Over vulkanen.</dc:description>
  <dc:type>Text</dc:type>
  <dc:identifier>urn:isbn:9789012345678</dc:identifier>
  <dc:identifier>https://b.example.org/materials/3-vulkanen</dc:identifier>
  <dc:language>Nederlands</dc:language>
  <dc:rights>Alle rechten voorbehouden behalve</dc:rights>
  <dc:rights>https://creativecommons.org/licenses/by-sa/4.0/deed.nl</dc:rights>
</oai_dc:dc>"""

LOM = b"""<lom xmlns="http://ltsc.ieee.org/xsd/LOM">
  <general>
    <identifier><catalog>URI</catalog><entry>https://b.example.org/m/7</entry></identifier>
    <title><string language="en">Cells and tissues</string></title>
    <language>en</language>
    <description><string language="en">What cells are.</string></description>
    <keyword><string language="en">microscope</string></keyword>
    <keyword><string language="en">cell</string></keyword>
  </general>
  <lifeCycle><contribute><role><source>LOMv1.0</source><value>author</value></role>
    <entity>BEGIN:VCARD\r\nVERSION:3.0\r\nN:Aalders;;;;\r\nFN:Anna Aalders\r\nEND:VCARD</entity>
  </contribute></lifeCycle>
  <technical><location>https://b.example.org/materials/7-cells</location></technical>
  <educational>
    <learningResourceType><source>x</source><value>Simulatie</value></learningResourceType>
    <context><source>http://purl.edustandaard.nl/vdex_context_czp_20060628</source><value>VO</value></context>
    <context><source>x</source><value>Cursus voor ouders</value></context>
  </educational>
  <rights><description><string language="x-none">CC BY-NC 4.0</string></description></rights>
  <classification>
    <purpose><source>LOMv1.0</source><value>discipline</value></purpose>
    <taxonPath><source><string>x</string></source>
      <taxon><id>biology</id><entry><string language="en">Biology</string></entry></taxon>
      <taxon><id>x-17</id><entry><string language="nl">Sterrenkunde</string></entry></taxon>
    </taxonPath>
  </classification>
  <classification>
    <purpose><source>x</source><value>educational level</value></purpose>
    <taxonPath><source><string>x</string></source>
      <taxon><id>512e4729-03a4-43a2-95ba-758071d1b725</id><entry><string>PO</string></entry></taxon>
      <taxon><id>havo</id></taxon>
    </taxonPath>
  </classification>
</lom>"""


@pytest.fixture()
def context(app):
    with app.app_context():
        yield


def test_dublin_core_maps_what_matches_and_keeps_the_rest(context):
    fields = from_oai_dc(etree.fromstring(OAI_DC))
    assert fields.title == "Vulkanen en aardbevingen"
    assert fields.url == "https://b.example.org/materials/3-vulkanen", "first web address"
    assert fields.licence == "CC-BY-SA-4.0", "a deed URL in any language, past a free text"
    assert fields.subjects == ["geography", "biology", "Vulkanologie"]
    assert fields.language == "nl", "a language named by its label"
    assert fields.authors == ["Bea Bakker", "Cas de Vries"], "once each, commas out"
    assert fields.kind == "lesson"


def test_dublin_core_without_a_web_address_falls_back_to_relation(context):
    root = etree.fromstring(b"""<dc xmlns:dc="http://purl.org/dc/elements/1.1/">
        <dc:title>T</dc:title><dc:identifier>oai:x:1</dc:identifier>
        <dc:relation>http://x.example/home</dc:relation><dc:type>Dataset</dc:type>
        <dc:rights>Eigen voorwaarden</dc:rights><dc:language>tlh</dc:language></dc>""")
    fields = from_oai_dc(root)
    assert fields.url == "http://x.example/home"
    assert fields.licence == "Eigen voorwaarden" and fields.kind == "Dataset"
    assert fields.language == "tlh"


def test_lom_maps_levels_subjects_and_licence(context):
    fields = from_lom(etree.fromstring(LOM))
    assert fields.title == "Cells and tissues" and fields.language == "en"
    assert fields.url == "https://b.example.org/materials/7-cells"
    assert fields.licence == "CC-BY-NC-4.0"
    assert fields.subjects == ["biology", "Sterrenkunde"]
    assert fields.levels == ["primary", "havo", "secondary", "Cursus voor ouders"]
    assert fields.keywords == ["microscope", "cell"]
    assert fields.authors == ["Anna Aalders"]
    assert fields.kind == "Simulatie"


@pytest.mark.parametrize(("text", "spdx"), [
    ("CC-BY-4.0", "CC-BY-4.0"),
    ("cc-by-sa-4.0", "CC-BY-SA-4.0"),
    ("http://creativecommons.org/licenses/by-nc-nd/4.0/legalcode", "CC-BY-NC-ND-4.0"),
    ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0"),
    ("CC BY-SA 4.0", "CC-BY-SA-4.0"),
    ("Licentie: https://creativecommons.org/licenses/by/4.0/ (zie site)", "CC-BY-4.0"),
    ("Alle rechten voorbehouden", "Alle rechten voorbehouden"),
    ("", ""),
])
def test_licences_by_id_url_or_badge(text, spdx):
    assert licence_id(text) == spdx
