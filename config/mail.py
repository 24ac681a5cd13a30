from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend


class ReadableConsoleBackend(DjangoConsoleBackend):
    """Development mail on the console, as a person reads it.

    Django's console backend prints the wire format, where long lines (our
    confirmation links) are quoted-printable and broken with "=" soft breaks;
    a link copied from there does not work. Real mail clients decode that, so
    only this development backend prints the decoded text instead.
    """

    def write_message(self, message):
        msg = message.message()
        headers = "".join(
            f"{name}: {msg[name]}\n" for name in ("Subject", "From", "To", "Reply-To") if msg[name]
        )
        self.stream.write(f"{headers}\n{message.body}\n{'-' * 79}\n")
