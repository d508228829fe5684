from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the repo's question bank (run by seed_demo)."

    def handle(self, *args, **options):
        call_command("import_bank", stdout=self.stdout)
