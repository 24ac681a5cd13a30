"""Model fields for an address kept encrypted, and the keyed hash that stands for it."""

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact

from signatories.crypto import blind_index, decrypt, encrypt


class EncryptedEmailField(models.EmailField):
    """An e-mail address, stored as a Fernet token (signatories/crypto.py).

    Python code sees the address; the database only ever holds the token
    ("" for no address, so `email=""` still tells rows without one). Tokens
    are randomised, so the column can be neither searched nor compared:
    lookups other than `exact ""` and `isnull` are refused rather than
    silently matching nothing. Look an address up by its BlindIndexField.
    """

    description = "An e-mail address, encrypted at rest"

    def get_internal_type(self):
        # A token is about 1.4 times the address and a little more: no fixed width.
        return "TextField"

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return NoAddressExact
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None  # FieldError: "Unsupported lookup ..."

    def get_transform(self, lookup_name):
        return None

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        # Saves, and the constraints' checks in Python (which only ask "is it empty?").
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value


class NoAddressExact(Exact):
    """`email=""` (rows without an address) only: a token never equals the one compared."""

    def __init__(self, lhs, rhs):
        if isinstance(rhs, str) and rhs:
            field = lhs.output_field
            raise FieldError(
                f"{field.model.__name__}.{field.name} is encrypted: look an address up by "
                "its blind index (Signatory.objects.with_email)."
            )
        super().__init__(lhs, rhs)


class BlindIndexField(models.CharField):
    """The keyed hash of another field's address, computed on every save from that field.

    QuerySet.update() and bulk_update() pass no save hook: they must set both
    (a check constraint on the model refuses an address without its hash).
    """

    def __init__(self, *args, source, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        if self.source in model_instance.get_deferred_fields():
            # The address was not loaded, so it is not being changed: the hash stands.
            return getattr(model_instance, self.attname)
        value = blind_index(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value
