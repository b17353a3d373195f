"""The admin page's form for registering a collection (the rules are the service's)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, URLField
from wtforms.validators import DataRequired, Length, Optional

from oer_portal.collections.models import NAME_MAX, URL_MAX
from oer_portal.collections.service import SET_MAX


class CollectionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)],
                       description=_l("Shown with every result from this collection."))
    base_url = URLField(_l("OAI-PMH base URL"), validators=[DataRequired(), Length(max=URL_MAX)],
                        description=_l("The address of the collection's OAI-PMH server, "
                                       "without ?verb=…, e.g. https://example.org/oai"))
    prefix = SelectField(_l("Metadata format"), choices=[
        SelectChoice("oai_dc", _l("Dublin Core (oai_dc)")),
        SelectChoice("lom", _l("IEEE LOM (lom)"))],
        default="oai_dc")
    set_spec = StringField(_l("Set (optional)"), validators=[Optional(), Length(max=SET_MAX)],
                           description=_l("Harvest only this set: its setSpec."))
