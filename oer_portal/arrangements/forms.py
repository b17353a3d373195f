"""The arrangements feature's own forms (the builder reuses the material form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SubmitField


class CartridgeForm(FlaskForm):
    """Upload a Common Cartridge to import it as an arrangement draft."""

    cartridge = FileField(
        _l("Common Cartridge file (.imscc)"),
        description=_l("Exported from a learning environment (Moodle, Brightspace, "
                       "Itslearning, Magister) or from this portal."),
        validators=[FileRequired(_l("Choose the .imscc file to import."))],
        render_kw={"accept": ".imscc,.zip,application/zip"})
    #: Choices: the offered licences (set by the view, in the reader's language).
    licence = SelectField(
        _l("Licence when the cartridge names none"),
        description=_l("The arrangement takes the licence the cartridge names; this one is "
                       "used only when it names none the portal knows."))
    submit = SubmitField(_l("Import"))
