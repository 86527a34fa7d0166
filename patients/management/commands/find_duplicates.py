"""manage.py find_duplicates: pairs of live patients who may be one person, with scores."""

from django.core.management.base import BaseCommand, CommandError

from patients import matching
from patients.duplicates import likely_duplicate_pairs


class Command(BaseCommand):
    help = "List likely duplicate patient pairs with their match scores (nothing is merged)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-score",
            type=int,
            default=matching.POSSIBLE,
            help=f"lowest score listed (default {matching.POSSIBLE}; likely from "
            f"{matching.LIKELY})",
        )
        parser.add_argument("--limit", type=int, default=100, help="pairs listed (default 100)")

    def handle(self, *args, min_score, limit, **options):
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        pairs = likely_duplicate_pairs(min_points=min_score)
        if not pairs:
            self.stdout.write(f"No pairs of patients score {min_score} or more.")
            return
        self.stdout.write("score  verdict   first record                  second record")
        for pair in pairs[:limit]:
            self.stdout.write(
                f"{pair.score.points:>5}  {pair.score.verdict:<8}  {str(pair.first):<28}  "
                f"{pair.second}  ({', '.join(pair.score.matched)})"
            )
        shown = min(limit, len(pairs))
        self.stdout.write(f"{len(pairs)} pair(s) score {min_score} or more; {shown} listed.")
