from django.core.management.base import BaseCommand, CommandError

from signatories.roles import roles_setup


class Command(BaseCommand):
    help = "Create or update the Moderators and Organisers groups and their permissions."

    def handle(self, *args, **options):
        try:
            groups = roles_setup()
        except LookupError as error:
            raise CommandError(str(error)) from error
        for name, group in groups.items():
            self.stdout.write(f"{name}: {group.permissions.count()} permissions")
