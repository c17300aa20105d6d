"""A throwaway app whose models are generated on import (see ``models.py``)."""
