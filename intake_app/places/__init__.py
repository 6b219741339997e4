"""The built-in gazetteer: places with stable ids and names in English, Russian and Kazakh."""

from intake_app.places.gazetteer import Gazetteer, Place, canonical_place

__all__ = ["Gazetteer", "Place", "canonical_place"]
