"""Code that runs in the job process only. Never imports Textual or the console's front ends."""
